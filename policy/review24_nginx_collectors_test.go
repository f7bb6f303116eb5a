package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

func review24NginxConfigMap(data map[string]any) policy.Input {
	return review21Admit(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}, "data": data})
}

func review24Ingress(annotations map[string]any) policy.Input {
	return review21Admit(map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
		"metadata": map[string]any{"name": "i", "annotations": annotations}})
}

// TestReview24KubernetesNginxCollectors: ingress-nginx's collector keys
// (otlp-collector-host, zipkin-collector-host, jaeger-collector-host,
// jaeger-endpoint, jaeger-sampler-host, datadog-collector-host,
// syslog-host, global-rate-limit-memcached-host) have the controller send
// every traced, logged or rate-limited Ingress's request data (paths,
// query strings and their tokens) to the host they name, from its own
// network; a ConfigMap setting one to any host was harmless. Now only a
// value allowed_ingress_collectors lists, exactly, in any case of the key.
func TestReview24KubernetesNginxCollectors(t *testing.T) {
	t.Parallel()
	const otel = "otel-collector.observability.svc"
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedIngressCollectors = []string{otel}
	e := newConfigured(t, cfg)
	cm := review24NginxConfigMap
	for name, in := range map[string]policy.Input{
		"otlp outside":                    cm(map[string]any{"enable-opentelemetry": "true", "otlp-collector-host": "collector.evil.example"}),
		"otlp metadata service":           cm(map[string]any{"otlp-collector-host": "169.254.169.254"}),
		"zipkin":                          cm(map[string]any{"zipkin-collector-host": "zipkin.evil.example"}),
		"jaeger agent":                    cm(map[string]any{"jaeger-collector-host": "jaeger.evil.example"}),
		"jaeger endpoint":                 cm(map[string]any{"jaeger-endpoint": "https://jaeger.evil.example/api/traces"}),
		"jaeger sampler":                  cm(map[string]any{"jaeger-sampler-host": "http://10.0.0.1"}),
		"datadog":                         cm(map[string]any{"datadog-collector-host": "dd.evil.example"}),
		"syslog":                          cm(map[string]any{"enable-syslog": "true", "syslog-host": "logs.evil.example"}),
		"memcached":                       cm(map[string]any{"global-rate-limit-memcached-host": "memcached.other-team.svc"}),
		"OTLP-Collector-Host in case":     cm(map[string]any{"OTLP-Collector-Host": "collector.evil.example"}),
		"listed host with a suffix":       cm(map[string]any{"otlp-collector-host": otel + ".evil.example"}),
		"collector host not a text":       cm(map[string]any{"otlp-collector-host": []any{otel}}),
		"listed and an unlisted spelling": cm(map[string]any{"otlp-collector-host": otel, "Otlp-Collector-Host": "collector.evil.example"}),
	} {
		wantDeny(t, e, name, in, "kubernetes.unknown_kind")
	}
	wantDeny(t, newConfigured(t, acmeConfig()), "collector with no list", cm(map[string]any{"otlp-collector-host": otel}), "kubernetes.unknown_kind")
	review21Allowed(t, e, "listed collector", cm(map[string]any{"enable-opentelemetry": "true", "otlp-collector-host": otel, "otlp-collector-port": "4317"}))
	review21Allowed(t, e, "collector unset", cm(map[string]any{"syslog-host": "", "use-gzip": "true"}))
	review21Allowed(t, e, "unrelated ConfigMap", cm(map[string]any{"collector": "collector.evil.example", "host": "db.example"}))

	bad := acmeConfig()
	bad.Kubernetes.AllowedIngressCollectors = []string{""}
	if err := bad.Validate(); err == nil {
		t.Error("an empty AllowedIngressCollectors entry was accepted")
	}
}

// TestReview24KubernetesNginxWAFOptOut: an Ingress annotated
// enable-modsecurity: "false" has ingress-nginx write "modsecurity off"
// into its locations, out of the web application firewall the
// controller's ConfigMap turns on for every Ingress, and
// enable-owasp-core-rules other than "true" likewise; both were
// harmless. Judged like enable-global-auth: only "true".
func TestReview24KubernetesNginxWAFOptOut(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	const nx = "nginx.ingress.kubernetes.io/"
	for name, in := range map[string]policy.Input{
		"enable-modsecurity false":         review24Ingress(map[string]any{nx + "enable-modsecurity": "false"}),
		"Enable-ModSecurity in other case": review24Ingress(map[string]any{"NGINX.ingress.kubernetes.io/Enable-ModSecurity": "False"}),
		"enable-modsecurity not a text":    review24Ingress(map[string]any{nx + "enable-modsecurity": false}),
		"enable-owasp-core-rules false":    review24Ingress(map[string]any{nx + "enable-owasp-core-rules": "false"}),
		"enable-owasp-core-rules 0":        review24Ingress(map[string]any{nx + "enable-modsecurity": "true", nx + "enable-owasp-core-rules": "0"}),
		"one spelling true, another false": review24Ingress(map[string]any{nx + "enable-modsecurity": "true", nx + "ENABLE-MODSECURITY": "false"}),
	} {
		wantDeny(t, e, name, in, "kubernetes.unknown_kind")
	}
	review21Allowed(t, e, "WAF on", review24Ingress(map[string]any{nx + "enable-modsecurity": "true", nx + "enable-owasp-core-rules": "true"}))
}

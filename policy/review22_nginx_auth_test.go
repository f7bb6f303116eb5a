package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview22KubernetesNginxGlobalAuth: ingress-nginx's global-auth-url
// has the controller send an authentication subrequest, with every
// client's headers and cookies, for every request to every Ingress, to
// the URL it names; a ConfigMap that sets it (or shapes that subrequest)
// was harmless. An Ingress annotated enable-global-auth: "false" opts out
// of the authentication the administrator put in front of every host.
func TestReview22KubernetesNginxGlobalAuth(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	cm := func(data map[string]any) policy.Input {
		return review21Admit(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}, "data": data})
	}
	ing := func(annotations map[string]any) policy.Input {
		return review21Admit(map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
			"metadata": map[string]any{"name": "i", "annotations": annotations}})
	}
	for name, in := range map[string]policy.Input{
		"global-auth-url outside":          cm(map[string]any{"global-auth-url": "https://collector.evil.example/auth"}),
		"global-auth-url internal":         cm(map[string]any{"global-auth-url": "http://admin.other-team.svc.cluster.local/"}),
		"Global-Auth-URL in another case":  cm(map[string]any{"Global-Auth-URL": "https://evil.example/"}),
		"global-auth-response-headers":     cm(map[string]any{"global-auth-response-headers": "Authorization"}),
		"global-auth-url not a text":       cm(map[string]any{"global-auth-url": true}),
		"enable-global-auth false":         ing(map[string]any{"nginx.ingress.kubernetes.io/enable-global-auth": "false"}),
		"Enable-Global-Auth in other case": ing(map[string]any{"NGINX.ingress.kubernetes.io/Enable-Global-Auth": "False"}),
		"enable-global-auth not a text":    ing(map[string]any{"nginx.ingress.kubernetes.io/enable-global-auth": false}),
	} {
		wantDeny(t, e, name, in, "kubernetes.unknown_kind")
	}
	review21Allowed(t, e, "global-auth-url unset", cm(map[string]any{"global-auth-url": "", "use-gzip": "true"}))
	review21Allowed(t, e, "enable-global-auth true", ing(map[string]any{"nginx.ingress.kubernetes.io/enable-global-auth": "true"}))
}

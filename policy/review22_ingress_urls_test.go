package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview22KubernetesIngressURLs: ingress-nginx's auth-url and
// mirror-target have the controller connect, from its own network, to
// the URL the Ingress's author names: the cloud metadata service or
// another namespace's Service, past the NetworkPolicies that confine the
// author's pods. A plain one was harmless; now only a URL
// allowed_ingress_urls lists, exactly, in every spelling of the name.
func TestReview22KubernetesIngressURLs(t *testing.T) {
	t.Parallel()
	const auth = "https://auth.example/oauth2/auth"
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedIngressURLs = []string{auth}
	e := newConfigured(t, cfg)
	ing := func(annotations map[string]any) policy.Input {
		return review21Admit(map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
			"metadata": map[string]any{"name": "i", "annotations": annotations}})
	}
	const nx = "nginx.ingress.kubernetes.io/"
	for name, in := range map[string]policy.Input{
		"auth-url at the metadata service": ing(map[string]any{nx + "auth-url": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}),
		"auth-url at another namespace":    ing(map[string]any{nx + "auth-url": "http://admin.other-team.svc.cluster.local/"}),
		"mirror-target":                    ing(map[string]any{nx + "mirror-target": "https://collector.evil.example$request_uri"}),
		"Mirror-Target in another case":    ing(map[string]any{"NGINX.ingress.kubernetes.io/Mirror-Target": "http://10.0.0.1/"}),
		"listed and an unlisted spelling":  ing(map[string]any{nx + "auth-url": auth, nx + "AUTH-URL": "http://10.0.0.1/"}),
		"listed URL with a suffix":         ing(map[string]any{nx + "auth-url": auth + "?x=1"}),
		"auth-url not a text":              ing(map[string]any{nx + "auth-url": []any{auth}}),
	} {
		wantDeny(t, e, name, in, "kubernetes.unknown_kind")
	}
	wantDeny(t, newConfigured(t, acmeConfig()), "auth-url with no list", ing(map[string]any{nx + "auth-url": auth}), "kubernetes.unknown_kind")
	review21Allowed(t, e, "listed auth-url, a client redirect and a vhost", ing(map[string]any{
		nx + "auth-url":       auth,
		nx + "auth-signin":    "https://auth.example/oauth2/start?rd=$escaped_request_uri",
		nx + "upstream-vhost": "app.internal",
		nx + "mirror-host":    "mirror.example",
	}))
	review21Allowed(t, e, "listed mirror-target", ing(map[string]any{nx + "mirror-target": auth}))
}

package policy_test

import (
	"testing"
)

// TestReview29KubernetesNginxSourceRange: an Ingress's ingress-nginx
// whitelist-source-range, allowlist-source-range or denylist-source-range
// writes allow and deny rules into its location, and nginx's access module
// then ignores the ones the http level holds: the administrator's
// block-cidrs stops applying to the Ingress (an allowlist of 0.0.0.0/0 or
// a denylist of one documentation address lifts it). Such an Ingress was
// harmless. Now it is denied unless allow_ingress_source_ranges (or
// allowed_kinds listing Ingress).
func TestReview29KubernetesNginxSourceRange(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	for _, tc := range []struct {
		name string
		ann  map[string]any
	}{
		{"whitelist-source-range", map[string]any{"nginx.ingress.kubernetes.io/whitelist-source-range": "0.0.0.0/0"}},
		{"allowlist-source-range", map[string]any{"nginx.ingress.kubernetes.io/allowlist-source-range": "0.0.0.0/0,::/0"}},
		{"denylist-source-range", map[string]any{"nginx.ingress.kubernetes.io/denylist-source-range": "192.0.2.1/32"}},
		{"name in another case", map[string]any{"Nginx.Ingress.Kubernetes.IO/Whitelist-Source-Range": "10.0.0.0/8"}},
		{"empty value", map[string]any{"nginx.ingress.kubernetes.io/denylist-source-range": ""}},
	} {
		wantDeny(t, e, tc.name, review24Ingress(tc.ann), "kubernetes.unknown_kind")
	}
	review21Allowed(t, e, "other controller's annotation", review24Ingress(map[string]any{"example.com/whitelist-source-range": "0.0.0.0/0"}))

	cfg := acmeConfig()
	cfg.Kubernetes.AllowIngressSourceRanges = true
	loose := newConfigured(t, cfg)
	review21Allowed(t, loose, "allowlist with allow_ingress_source_ranges", review24Ingress(map[string]any{"nginx.ingress.kubernetes.io/allowlist-source-range": "10.0.0.0/8"}))
	wantDeny(t, loose, "enable-global-auth false with allow_ingress_source_ranges", review24Ingress(map[string]any{
		"nginx.ingress.kubernetes.io/allowlist-source-range": "10.0.0.0/8", "nginx.ingress.kubernetes.io/enable-global-auth": "false"}), "kubernetes.unknown_kind")
}

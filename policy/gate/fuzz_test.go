package gate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

func dsse(payload string) []byte {
	return []byte(`{"dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"` +
		base64.StdEncoding.EncodeToString([]byte(payload)) + `"}}`)
}

func FuzzClaimedPredicateType(f *testing.F) {
	f.Add(dsse(`{"predicateType":"https://slsa.dev/provenance/v1"}`))
	f.Add(dsse(`{"predicateType":1}`))
	f.Add([]byte(`{"dsseEnvelope":{"payloadType":"text/plain","payload":"e30="}}`))
	f.Add([]byte(`{"messageSignature":{}}`))
	f.Add([]byte(`{"dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"eyJwcmVkaWNhdGVUeXBlIjoiaHR0cHM6XC9cL2EifQ=="}}`))
	f.Add([]byte(`{"dsseEnvelope":{"payload":"eyJwcmVkaWNhdGVUeXBlIjoieCJ9","payloadType":"application/vnd.in-toto+json"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := claimedPredicateType(b) // must not panic; any answer only routes
		// On a bundle a strict verifier could accept, it reads what
		// encoding/json reads.
		if !json.Valid(b) || strictjson.Check(b) != nil {
			return
		}
		if st := decodedStatement(b); st != nil && (!json.Valid(st) || strictjson.Check(st) != nil) {
			return
		}
		if want := decodedPredicateType(b); got != want {
			t.Fatalf("claimedPredicateType(%s) = %q, encoding/json reads %q", b, got, want)
		}
	})
}

// decodedStatement and decodedPredicateType are claimedStatement and
// claimedPredicateType by encoding/json.
func decodedStatement(bundle []byte) []byte {
	var b struct {
		DSSE *struct {
			PayloadType string `json:"payloadType"`
			Payload     []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if json.Unmarshal(bundle, &b) != nil || b.DSSE == nil || b.DSSE.PayloadType != attest.PayloadType {
		return nil
	}
	return b.DSSE.Payload
}

func decodedPredicateType(bundle []byte) string {
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if json.Unmarshal(decodedStatement(bundle), &st) != nil {
		return ""
	}
	return st.PredicateType
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"job_token":"x","image":"r/a:b"}`))
	f.Add([]byte(`{"job_token":"x","bundles":[{}],"name":"n","digest":"sha256:00"}`))
	f.Add([]byte(`{"JOB_TOKEN":"x","image":"r/a:b"}`))
	f.Add([]byte(`{"job_token":"x","image":"a","image":"b"}`))
	f.Add([]byte(`{"job_token":"x"} trailing`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		// What was accepted round-trips: the encoder writes what the
		// decoder read, so no member was dropped or reinterpreted.
		again, err := EncodeRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeRequest(again); err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
	})
}

// fuzzGate is a gate whose token verifier refuses everything except the
// token "good", whose policy denies, and whose audit sink records nothing.
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
	tokens := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		if raw != "good" {
			return identity.Identity{}, errors.New("no")
		}
		return identity.Identity{Issuer: "https://ci.example", Subject: "job"}, nil
	})
	eval := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{Violations: []policy.Violation{{Rule: "test.deny"}}}, nil
	})
	sink := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
	g, err := New(tokens, Verifiers{"https://slsa.dev/provenance/v1": v}, eval, sink,
		WithRegistries("registry.example"), WithLimits(Limits{MaxBody: 64 << 10, MaxInFlight: 4}))
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
		if req, err := DecodeRequest(body); err == nil && req.Image != "" && req.JobToken.Reveal() == "good" {
			// Only registry.example is allowed; a reference to it would
			// reach for the network, which this test has none of.
			return
		}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, PathAdmit, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		var d Decision
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatalf("answer is not a Decision: %v", err)
		}
		if d.Allowed {
			t.Fatal("allowed")
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("bad-secret-token")) {
			t.Fatal("token echoed")
		}
	})
}

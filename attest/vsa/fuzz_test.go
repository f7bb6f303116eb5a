package vsa_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
)

// stable checks that a summary the parser accepted is written by Predicate
// (it never refuses what ParsePredicate accepted) and that writing is a
// fixed point: the written predicate reads back to one that writes the same
// bytes.
func stable(t *testing.T, s *vsa.Summary) {
	t.Helper()
	raw, err := vsa.Predicate(*s).PredicateJSON()
	if err != nil {
		t.Fatalf("Predicate refused a parsed summary: %v", err)
	}
	back, err := vsa.ParsePredicate(raw)
	if err != nil {
		t.Fatalf("ParsePredicate(Predicate(s)): %v\n%s", err, raw)
	}
	again, err := vsa.Predicate(*back).PredicateJSON()
	if err != nil || !bytes.Equal(again, raw) {
		t.Fatalf("not a fixed point: %v\n%s\n%s", err, raw, again)
	}
}

func FuzzParsePredicate(f *testing.F) {
	for _, st := range [][]byte{gceStatement(f), readFixture(f, "slsa-spec-example.json")} {
		var s struct{ Predicate json.RawMessage }
		if err := json.Unmarshal(st, &s); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(s.Predicate))
	}
	f.Add([]byte(`{"verifier":{"id":"https://v","version":{"ztci":"1"}},"timeVerified":"2026-01-02T03:04:05+01:00","resourceUri":"pkg:oci/a","policy":{"uri":"https://p","annotations":{"ztci.dev/policy-revision":"r1"}},"verificationResult":"FAILED","verifiedLevels":["FAILED"],"dependencyLevels":{},"urn:x:ext":null}`))
	f.Add([]byte(`{"Verifier":{"id":"https://v"},"verifier":{"id":"https://w"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := vsa.ParsePredicate(b)
		if err != nil {
			var fe *vsa.FieldError
			if !errors.Is(err, vsa.ErrInvalid) || !errors.As(err, &fe) {
				t.Fatalf("error is not a *FieldError wrapping ErrInvalid: %v", err)
			}
			return
		}
		stable(t, s)
	})
}

func FuzzFromStatement(f *testing.F) {
	f.Add(gceStatement(f))
	f.Add(readFixture(f, "slsa-spec-example.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := attest.ParseStatement(b)
		if err != nil {
			return
		}
		s, err := vsa.FromStatement(st)
		if err != nil {
			if !errors.Is(err, vsa.ErrInvalid) {
				t.Fatalf("error outside ErrInvalid: %v", err)
			}
			return
		}
		stable(t, s)
	})
}

// FuzzVerifyThirdParty: whatever the envelope, VerifyThirdParty fails with
// ErrUnverified or accepts exactly the statement Google's key signed (no
// other payload carries a signature by that key).
func FuzzVerifyThirdParty(f *testing.F) {
	vector := readFixture(f, "slsa-verifier-gce-vsa.intoto.jsonl")
	f.Add(vector)
	f.Add(bytes.Replace(vector, []byte(`"keyid":"keystore`), []byte(`"keyid":"","x":"keystore`), 1))
	f.Add(bytes.Replace(vector, []byte(`"payloadType"`), []byte(`"PayloadType"`), 1))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}`))
	signed := gceStatement(f)
	want := gceExpect(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := vsa.VerifyThirdParty(t.Context(), b, want)
		if err != nil {
			if !errors.Is(err, vsa.ErrUnverified) {
				t.Fatalf("error outside ErrUnverified: %v", err)
			}
			return
		}
		if !bytes.Equal(got.Payload, signed) {
			t.Fatalf("accepted a payload the key never signed:\n%s", got.Payload)
		}
	})
}

package svr_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
)

// stable checks that a result the parser accepted is written by Predicate
// (it never refuses what ParsePredicate accepted) and that writing is a
// fixed point.
func stable(t *testing.T, r *svr.Result) {
	t.Helper()
	raw, err := svr.Predicate(*r).PredicateJSON()
	if err != nil {
		t.Fatalf("Predicate refused an accepted result: %v", err)
	}
	back, err := svr.ParsePredicate(raw)
	if err != nil {
		t.Fatalf("ParsePredicate(Predicate(r)): %v\n%s", err, raw)
	}
	again, err := svr.Predicate(*back).PredicateJSON()
	if err != nil || !bytes.Equal(again, raw) {
		t.Fatalf("not a fixed point: %v\n%s\n%s", err, raw, again)
	}
}

func FuzzParsePredicate(f *testing.F) {
	for _, name := range []string{"spec-example-basic.json", "spec-example-time-bounded.json", "spec-example-policy.json"} {
		st := readStatement(f, name)
		f.Add([]byte(st.Predicate))
	}
	f.Add([]byte(`{"verifier":{"id":"https://v","policy":{"uri":"urn:ztci:policy","annotations":{"ztci.dev/policy-revision":"r1"}}},"timeCreated":"2026-01-02T03:04:05+01:00","properties":[],"urn:x:ext":1}`))
	f.Add([]byte(`{"Verifier":{"id":"https://v"},"verifier":{"id":"https://w"}}`))
	// Review 37: invisible characters, repeats past the pairwise check.
	f.Add([]byte(`{"verifier":{"id":"https://v\u200b"},"timeCreated":"2026-01-02T03:04:05Z","properties":["ZTCI_POLICY_ALLOWED\u200b","A\u0085","B\u3000"]}`))
	f.Add([]byte(`{"verifier":{"id":"https://v"},"timeCreated":"2026-01-02T03:04:05Z","properties":["0","1","2","3","4","5","6","7","8","9","a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u","v","w","x","y","z","5"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := svr.ParsePredicate(b)
		if err != nil {
			var fe *svr.FieldError
			if !errors.Is(err, svr.ErrInvalid) || !errors.As(err, &fe) {
				t.Fatalf("error is not a *FieldError wrapping ErrInvalid: %v", err)
			}
			return
		}
		stable(t, r)
	})
}

func FuzzFromStatement(f *testing.F) {
	for _, name := range []string{"spec-example-basic.json", "spec-example-policy.json"} {
		st := readStatement(f, name)
		b, err := json.Marshal(st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := attest.ParseStatement(b)
		if err != nil {
			return
		}
		r, err := svr.FromStatement(st)
		if err != nil {
			if !errors.Is(err, svr.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		stable(t, r)
	})
}

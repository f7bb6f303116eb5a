package vsa_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
)

// A custom level is any verifiedLevels value that does not start with
// "SLSA_", so "slsa_build_level_3" beside "SLSA_BUILD_LEVEL_1", "failed"
// (or "Failed") in a PASSED summary, " SLSA_BUILD_LEVEL_3" and
// "ſlsa_build_level_3" (which upper-cases to SLSA_) were accepted as
// custom values, unchecked by the track rules (one level per track,
// FAILED only with a FAILED result): a policy rule, a tool or a person
// that folds case or trims read an inflated level, or a failure, into a
// summary that says something else. The same spellings were accepted as
// dependencyLevels keys, and the URI fields took C1 controls (a
// terminal's CSI), bidirectional overrides, zero-width and no-break
// spaces, so the verifier id or resourceUri shown to an operator differed
// from the one compared. A timeVerified with a comma before its fraction
// (not RFC 3339; time.Parse takes it, other readers do not) was read too.
// All are refused now (ErrBadValue), when read and when written.
func TestReview37DisguisedValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  map[string]any
		field string
	}{
		{"lower-case level beside a level", map[string]any{"verifiedLevels": []any{"SLSA_BUILD_LEVEL_1", "slsa_build_level_3"}}, "verifiedLevels[1]"},
		{"mixed-case level", map[string]any{"verifiedLevels": []any{"Slsa_Build_Level_3"}}, "verifiedLevels[0]"},
		{"long s level", map[string]any{"verifiedLevels": []any{"\u017flsa_build_level_3"}}, "verifiedLevels[0]"},
		{"level with leading space", map[string]any{"verifiedLevels": []any{" SLSA_BUILD_LEVEL_3"}}, "verifiedLevels[0]"},
		{"level with zero-width space", map[string]any{"verifiedLevels": []any{"\u200bSLSA_BUILD_LEVEL_3"}}, "verifiedLevels[0]"},
		{"lower-case failed with PASSED", map[string]any{"verifiedLevels": []any{"failed"}}, "verifiedLevels[0]"},
		{"title-case failed with PASSED", map[string]any{"verifiedLevels": []any{"SLSA_BUILD_LEVEL_3", "Failed"}}, "verifiedLevels[1]"},
		{"custom level with trailing space", map[string]any{"verifiedLevels": []any{"BCID_L1 "}}, "verifiedLevels[0]"},
		{"custom level with bidi override", map[string]any{"verifiedLevels": []any{"BCID_L1\u202e"}}, "verifiedLevels[0]"},
		{"dependency level lower case", map[string]any{"dependencyLevels": map[string]any{"slsa_build_level_3": 1}}, "dependencyLevels.slsa_build_level_3"},
		{"dependency failed lower case", map[string]any{"dependencyLevels": map[string]any{"failed": 2}}, "dependencyLevels.failed"},
		{"verifier id with bidi override", map[string]any{"verifier": map[string]any{"id": "https://example.com/publication_verifier\u202e"}}, "verifier.id"},
		{"resource with C1 CSI", map[string]any{"resourceUri": "https://example.com/example-1.2.3.tar.gz\u009b2J"}, "resourceUri"},
		{"resource with no-break space", map[string]any{"resourceUri": "https://example.com/a\u00a0b"}, "resourceUri"},
		{"policy uri with zero-width space", map[string]any{"policy": map[string]any{"uri": "https://example.com/p\u200b"}}, "policy.uri"},
		{"time with a comma before the fraction", map[string]any{"timeVerified": "1985-04-12T23:20:50,52Z"}, "timeVerified"},
		{"extension name with bidi override", map[string]any{"https://example.com/\u202eext": 1}, "predicate.https://example.com/\u202eext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := vsa.ParsePredicate(predicateWith(t, tt.edit))
			var fe *vsa.FieldError
			if !errors.Is(err, vsa.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("ParsePredicate: %v; want a *FieldError of %q", err, tt.field)
			}
			if !errors.Is(err, vsa.ErrBadValue) && !errors.Is(err, vsa.ErrUnknownField) {
				t.Fatalf("ParsePredicate: %v; want ErrBadValue or ErrUnknownField", err)
			}
		})
	}
}

// What stays accepted: the specification's levels and FAILED, custom
// levels of one printable line (inner spaces included), and IRIs with
// printable non-ASCII characters.
func TestReview37AcceptedValues(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]map[string]any{
		"custom levels": {"verifiedLevels": []any{"BCID_L1", "FEDRAMP HIGH", "SLSA_BUILD_LEVEL_3"}},
		"FAILED":        {"verificationResult": "FAILED", "verifiedLevels": []any{"FAILED"}, "dependencyLevels": map[string]any{"FAILED": 1, "BCID_L1": 2}},
		"IRI":           {"resourceUri": "https://例え.jp/パッケージ", "verifier": map[string]any{"id": "https://例え.jp/verifier"}},
	} {
		if _, err := vsa.ParsePredicate(predicateWith(t, edit)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// This package writes no summary it refuses to read, and a consumer
// cannot pin a disguised level (it would only ever match a value the
// reader now refuses).
func TestReview37DisguisedValuesWrittenAndExpected(t *testing.T) {
	t.Parallel()
	base := vsa.Summary{
		Verifier:     vsa.Verifier{ID: "https://gate.example/v1"},
		TimeVerified: time.Unix(1_700_000_000, 0),
		ResourceURI:  "pkg:oci/app@sha256%3A" + strings.Repeat("a", 64),
		Policy:       attest.ResourceDescriptor{URI: "https://policy.example/p"},
		Result:       vsa.Passed,
	}
	for name, edit := range map[string]func(*vsa.Summary){
		"level":    func(s *vsa.Summary) { s.VerifiedLevels = []string{"slsa_build_level_3"} },
		"failed":   func(s *vsa.Summary) { s.VerifiedLevels = []string{"failed"} },
		"resource": func(s *vsa.Summary) { s.ResourceURI += "\u202e" },
		"invalid UTF-8 resource": func(s *vsa.Summary) {
			s.ResourceURI += "\xff"
		},
	} {
		s := base
		s.VerifiedLevels = []string{}
		edit(&s)
		if b, err := vsa.Predicate(s).PredicateJSON(); !errors.Is(err, vsa.ErrBadValue) {
			t.Errorf("%s: wrote %s, %v; want ErrBadValue", name, b, err)
		}
	}
	for _, l := range []string{"slsa_build_level_2", "Failed", " BCID_L1", "BCID_L1\u200b"} {
		want := gceExpect(t)
		want.VerifiedLevels = []string{l}
		if err := want.Validate(); !errors.Is(err, vsa.ErrExpectations) {
			t.Errorf("expected level %q: %v; want ErrExpectations", l, err)
		}
	}
}

// A summary signed by the pinned key whose levels hold a disguised level
// is no verified evidence.
func TestReview37ThirdPartyDisguisedLevel(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hex := strings.Repeat("56", 32)
	for _, levels := range [][]any{{"SLSA_BUILD_LEVEL_1", "slsa_build_level_3"}, {"SLSA_BUILD_LEVEL_1"}} {
		var pred map[string]any
		if err := json.Unmarshal(predicateWith(t, map[string]any{"verifiedLevels": levels}), &pred); err != nil {
			t.Fatal(err)
		}
		payload, err := json.Marshal(map[string]any{"_type": attest.StatementTypeV1, "predicateType": vsa.PredicateType,
			"subject": []any{map[string]any{"digest": map[string]any{"sha256": hex}}}, "predicate": pred})
		if err != nil {
			t.Fatal(err)
		}
		want := vsa.ThirdPartyExpectations{Key: pub, SubjectDigests: attest.DigestSet{"sha256": hex},
			VerifierID: "https://example.com/publication_verifier", ResourceURI: "https://example.com/example-1.2.3.tar.gz",
			VerifiedLevels: []string{"SLSA_BUILD_LEVEL_1"}}
		_, err = vsa.VerifyThirdParty(t.Context(), signEnvelope(t, priv, "", payload), want)
		if disguised := len(levels) == 2; disguised != errors.Is(err, vsa.ErrStatement) || (!disguised && err != nil) {
			t.Fatalf("levels %v: %v", levels, err)
		}
		if len(levels) == 2 && !errors.Is(err, vsa.ErrBadValue) {
			t.Fatalf("levels %v: %v; want ErrBadValue", levels, err)
		}
	}
}

// A member name or a dependencyLevels key of a hostile summary reached
// the error's text as it was (clipped, not quoted) through
// FieldError.Field: an ESC sequence or a line break in it went to any log
// or terminal that prints the error. Error now quotes a field that is not
// printable ASCII; Field keeps the name for callers.
func TestReview37FieldErrorQuoted(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"member name":      `{"\u001b[2Jx\nPASSED":1}`,
		"dependency level": string(predicateWith(t, map[string]any{"dependencyLevels": map[string]any{"X\u001b[1A\u009b2K": -1}})),
		"C1 member name":   `{"\u009b2Kx":1}`,
	} {
		_, err := vsa.ParsePredicate([]byte(raw))
		var fe *vsa.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: %v; want a *FieldError", name, err)
		}
		if !strings.ContainsAny(fe.Field, "\x1b\u009b") {
			t.Fatalf("%s: Field %q lost the name", name, fe.Field)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\x1b\n\u009b") {
			t.Errorf("%s: error text holds a control character: %q", name, msg)
		}
	}
}

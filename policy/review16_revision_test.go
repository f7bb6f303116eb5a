package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview16Revision: a policy's revision (a bundle .manifest's, or what
// a Source returns) is written as is into every Decision, Decision.String's
// "rev=" included, every audit event and every verification summary the
// gate issues. A .manifest revision holding a line break made
// Decision.String() two log lines, the second chosen by whoever wrote the
// manifest ("r1\nallow mode=enforce rev=reviewed"); a terminal escape or a
// bidirectional override rewrote what an operator read; one of 8 MiB (the
// file limit) was copied into every decision and audit event. Such a
// revision is refused at load, and a reload keeps the policy in force.
func TestReview16Revision(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"line break":    "r1\nallow mode=enforce rev=reviewed",
		"carriage":      "r1\rallow",
		"escape":        "r1\x1b[2K\x1b[1Gallow",
		"nul":           "r1\x00",
		"bidi override": "r1\u202eesrever",
		"zero width":    "r1\u200b",
		"line sep":      "r1\u2028allow",
		"tab":           "r1\tallow",
		"too long":      strings.Repeat("a", policy.MaxRevisionBytes+1),
	}
	mod := [2]string{"gate/gate.rego", gate}
	for name, rev := range bad {
		manifest, err := json.Marshal(map[string]any{"revision": rev})
		if err != nil {
			t.Fatal(err)
		}
		raw := orderedTarball(t, mod, [2]string{".manifest", string(manifest)})
		if b, err := policy.ReadBundle(bytes.NewReader(raw)); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("ReadBundle, %s: got %+v, %v; want ErrLoad", name, b, err)
		}
		// A Source of one's own is checked by the Engine.
		src := policy.SourceFunc(func(context.Context) (*policy.Bundle, error) {
			return &policy.Bundle{Modules: map[string]string{"gate.rego": gate}, Data: map[string]any{}, Revision: rev}, nil
		})
		if e, err := policy.New(t.Context(), src, policy.WithQuery("data.gate.decision")); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("New, %s: got %v, want ErrLoad", name, err)
			if e != nil {
				e.Close()
			}
		}
	}
	// A reload to such a revision keeps the policy in force.
	rev := "r1"
	src := policy.SourceFunc(func(context.Context) (*policy.Bundle, error) {
		return &policy.Bundle{Modules: map[string]string{"gate.rego": gate}, Data: map[string]any{}, Revision: rev}, nil
	})
	e, err := policy.New(t.Context(), src, policy.WithQuery("data.gate.decision"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rev = bad["line break"]
	if err := e.Reload(t.Context()); !errors.Is(err, policy.ErrLoad) || e.Revision() != "r1" {
		t.Fatalf("reload: %v, revision %q; want ErrLoad and r1 in force", err, e.Revision())
	}
	// Revisions people and tools write still load.
	for _, rev := range []string{"2026-11-22.1", "v42", "v1.2.3+build 7", "révision", "main@3f2c1e0",
		strings.Repeat("a", policy.MaxRevisionBytes)} {
		manifest, _ := json.Marshal(map[string]any{"revision": rev})
		raw := orderedTarball(t, mod, [2]string{".manifest", string(manifest)})
		if b, err := policy.ReadBundle(bytes.NewReader(raw)); err != nil || b.Revision != rev {
			t.Errorf("ReadBundle %q: %v", rev, err)
		}
	}
}

package verify

import (
	"errors"
	"os"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
)

// TestCheckMembersWraps: a refusal is both this package's ErrAmbiguousJSON
// (inside ErrMalformedBundle) and the shared check's MemberError; the
// check's own cases are tested in internal/strictjson.
func TestCheckMembersWraps(t *testing.T) {
	t.Parallel()
	err := checkMembers([]byte(`{"mediaType":"a","MediaType":"b"}`))
	var me *strictjson.MemberError
	if !errors.Is(err, ErrAmbiguousJSON) || !errors.Is(err, ErrMalformedBundle) || !errors.As(err, &me) {
		t.Fatalf("checkMembers = %v, want ErrAmbiguousJSON wrapping a *strictjson.MemberError", err)
	}
	if me.Name != "MediaType" || me.Other != "mediaType" {
		t.Fatalf("MemberError = %+v, want MediaType colliding with mediaType", me)
	}
	if err := checkMembers([]byte(`}`)); err == nil || errors.Is(err, ErrAmbiguousJSON) {
		t.Fatalf("checkMembers(}) = %v, want a syntax error that is not ErrAmbiguousJSON", err)
	}
}

// BenchmarkCheckMembers measures the ambiguity check on a public-good DSSE
// bundle, the cost it adds to an uncached Verify.
func BenchmarkCheckMembers(b *testing.B) {
	bun, err := os.ReadFile("testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(bun)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkMembers(bun); err != nil {
			b.Fatal(err)
		}
	}
}

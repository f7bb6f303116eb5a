package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview39BuildTextJobProvenance: JobProvenance held the identity's
// claims to plain text (no control, line-separator or bidi formatting
// character, valid UTF-8) but stated the build's builder id, build type
// and source URI as given: "git+https://git.example/\u202Eppa/emca/x/acme/app"
// passed the repository check while displaying as another path, bytes
// that are not UTF-8 were signed as U+FFFD (another builder id than the
// one passed), and a space in the source split it for readers that split
// on white space. They are refused with ErrJobProvenance.
func TestReview39BuildTextJobProvenance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*attest.Build)
	}{
		{"bidi override in source URI", func(b *attest.Build) { b.SourceURI = "git+https://git.example/\u202Eppa/x/acme/app" }},
		{"line separator in source URI", func(b *attest.Build) { b.SourceURI = "git+https://git.example/x\u2028/acme/app" }},
		{"space in source URI", func(b *attest.Build) { b.SourceURI = "git+https://git.example/x y/acme/app" }},
		{"no-break space in source URI", func(b *attest.Build) { b.SourceURI = "git+https://git.example/x\u00a0y/acme/app" }},
		{"invalid UTF-8 in source URI", func(b *attest.Build) { b.SourceURI = "git+https://git.example/x\xff/acme/app" }},
		{"bidi override in builder id", func(b *attest.Build) { b.BuilderID = "https://ci.example/runners/\u202Edetsoh-fles@v1" }},
		{"newline in builder id", func(b *attest.Build) { b.BuilderID = "https://ci.example/runners/hosted@v1\nx" }},
		{"invalid UTF-8 in builder id", func(b *attest.Build) { b.BuilderID = "https://ci.example/runners/\xffhosted@v1" }},
		{"bidi isolate in build type", func(b *attest.Build) { b.BuildType = "https://ci.example/build/\u2066v1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := releaseBuild
			tt.edit(&b)
			if _, err := attest.JobProvenance(releaseJob, b); !errors.Is(err, attest.ErrJobProvenance) {
				t.Fatalf("err %v, want ErrJobProvenance", err)
			}
		})
	}
	b := releaseBuild
	b.SourceURI = "git+https://git.exämple/acme/app"
	if _, err := attest.JobProvenance(releaseJob, b); err != nil {
		t.Fatalf("a Unicode host: %v", err)
	}
}

package verify

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// review37Entry is the first log entry of a conformance vector's bundle.
func review37Entry(t *testing.T, vector string) *protorekor.TransparencyLogEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "conformance", vector, "bundle.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	pb := new(protobundle.Bundle)
	if err := protojson.Unmarshal(b, pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetVerificationMaterial().GetTlogEntries()[0]
}

// TestReview37TlogPathMatchesBody: sigstore-go verifies a proof as Rekor
// v1's or v2's by the checkpoint's origin, not by the body: a Rekor v2 body
// under a Rekor v1 checkpoint is proven as a v1 leaf and then never
// compared with the bundle (v2 bodies are not), and a Rekor v1 body under
// a Rekor v2 checkpoint is never proven at all (a rebuilt v2 entry is).
// Either pairing is refused (ErrTlog) before sigstore-go runs, as are
// checkpoints a log does not write.
func TestReview37TlogPathMatchesBody(t *testing.T) {
	t.Parallel()
	v1 := review37Entry(t, "happy-path-v0.3")
	v2 := review37Entry(t, "rekor2-happy-path")
	v1cp, v2cp := v1.GetInclusionProof().GetCheckpoint().GetEnvelope(), v2.GetInclusionProof().GetCheckpoint().GetEnvelope()
	// Swap the origin lines: the sizes and roots stay the entries' own.
	v1Origin, _, _ := strings.Cut(v1cp, "\n")
	v2Origin, _, _ := strings.Cut(v2cp, "\n")
	tests := []struct {
		name  string
		entry *protorekor.TransparencyLogEntry
		cp    string
		ok    bool
	}{
		{"v1 as logged", v1, v1cp, true},
		{"v2 as logged", v2, v2cp, true},
		{"v2 body under a v1 checkpoint", v2, v1Origin + strings.TrimPrefix(v2cp, v2Origin), false},
		{"v1 body under a v2 checkpoint", v1, "rekor.example" + strings.TrimPrefix(v1cp, v1Origin), false},
		{"no signature block", v1, strings.SplitN(v1cp, "\n\n", 2)[0] + "\n", false},
		{"size with leading zero", v1, strings.Replace(v1cp, "\n7", "\n07", 1), false},
		{"empty origin", v1, strings.TrimPrefix(v1cp, v1Origin), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := proto.Clone(tt.entry).(*protorekor.TransparencyLogEntry)
			e.InclusionProof.Checkpoint.Envelope = tt.cp
			err := checkLogEntries([]*protorekor.TransparencyLogEntry{e})
			if tt.ok != (err == nil) {
				t.Fatalf("ok %v, got %v", tt.ok, err)
			}
			if err != nil && !errors.Is(err, ErrTlog) {
				t.Fatalf("want ErrTlog, got %v", err)
			}
		})
	}
}

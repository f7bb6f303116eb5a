package attest_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview21JobProvenanceClaimText: a claim JobProvenance writes into
// the signed provenance (ref, workflow, trigger, run id and attempt) is
// refused when it holds what would make the provenance read otherwise
// than the token: a line break (a second line looking like another
// field), a C1 control, a Unicode line separator, a bidirectional override
// (a branch "refs/heads/\u202Eniam" reads as "refs/heads/main", the Trojan
// Source display the CA already refuses in certificates), or bytes that
// are not UTF-8, which encoding/json writes as U+FFFD: the signed ref would
// not be the token's.
func TestReview21JobProvenanceClaimText(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"bidi override":  "refs/heads/\u202Eniam",
		"bidi isolate":   "refs/heads/\u2066main\u2069",
		"newline":        "refs/heads/main\nsource: evil",
		"C1 control":     "refs/heads/\u0085main",
		"line separator": "refs/heads/\u2028main",
		"not UTF-8":      "refs/heads/ma\xffin",
	}
	for name, v := range bad {
		for _, field := range []string{"ref", "workflow", "trigger", "run id", "run attempt"} {
			id := releaseJob
			switch field {
			case "ref":
				id.Claims.Ref = v
			case "workflow":
				id.Claims.WorkflowRef = v
			case "trigger":
				id.Claims.Event = v
			case "run id":
				id.Claims.RunID = v
			case "run attempt":
				id.Claims.RunAttempt = v
			}
			if _, err := attest.JobProvenance(id, releaseBuild); !errors.Is(err, attest.ErrJobProvenance) {
				t.Errorf("%s in %s: err %v, want ErrJobProvenance", name, field, err)
			}
		}
	}
	if _, err := attest.JobProvenance(releaseJob, releaseBuild); err != nil {
		t.Fatalf("plain job: %v", err)
	}
}

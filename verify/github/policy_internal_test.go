package github

import (
	"regexp"
	"testing"

	"github.com/ztci/ztci/internal/asciifold"
)

// TestSignerWorkflowSAN: the pattern for --signer-workflow is gh's
// (cli/cli pkg/cmd/attestation/verify/policy.go signerWorkflowSANPattern
// and its tests): a workflow without a ref matches it at any ref, and only
// at the end of the SAN; a pinned ref matches exactly.
func TestSignerWorkflowSAN(t *testing.T) {
	t.Parallel()
	const wf = "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml"
	tests := []struct {
		flag  string
		san   string
		match bool
	}{
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml", wf + "@refs/heads/main", true},
		{"github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml", wf + "@09b495c3f12c7881b3cc17209a327792065c1a1d", true},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml", wf + "@refs/tags/pkg@1.2.3", true},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml", wf, true},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml", wf + ".attacker.yml@refs/heads/main", false},
		{"github/artifact-attestations-workflows/.github/workflows/attest", wf + "@refs/heads/main", false},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml", wf + "@main", false},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml@refs/heads/main", wf + "@refs/heads/main", true},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml@refs/heads/main", wf + "@refs/heads/main@refs/heads/attacker", false},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml@refs/heads/main", wf + "@refs/heads/mainline", false},
		{"github/artifact-attestations-workflows/.github/workflows/attest.yml", "https://github.com/GitHub/artifact-attestations-workflows/.github/workflows/attest.yml@refs/heads/main", false},
		{"ghes.example.com/org/repo/.github/workflows/r.yml", "https://ghes.example.com/org/repo/.github/workflows/r.yml@refs/heads/main", true},
	}
	for _, tc := range tests {
		re := regexp.MustCompile("^(?:" + signerWorkflowSAN(tc.flag, "github.com") + ")$") // as verify anchors it
		if got := re.MatchString(tc.san); got != tc.match {
			t.Errorf("--signer-workflow %s vs %s: match %v, want %v", tc.flag, tc.san, got, tc.match)
		}
	}
}

// TestFoldPrefix: --owner/--repo/--signer-repo match a prefix ASCII
// case-insensitively; the Kelvin sign folds to "k" in (?i), which is why
// Verifier.check refuses non-ASCII SANs.
func TestFoldPrefix(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile("^(?:" + foldPrefix("https://github.com/kubernetes/") + ")$")
	for san, want := range map[string]bool{
		"https://github.com/kubernetes/k/.github/workflows/a.yml@refs/heads/main": true,
		"https://github.com/Kubernetes/k/x":                                       true,
		"https://github.com/kubernetes-evil/k/x":                                  false,
		"https://github.com/kubernetes":                                           false,
		"https://github.com/kubernetes/\nx":                                       true,
		"https://github.com/\u212aubernetes/k/x":                                  true, // refused by isASCII
	} {
		if got := re.MatchString(san); got != want {
			t.Errorf("%q: %v, want %v", san, got, want)
		}
	}
	if isASCII("https://github.com/\u212aubernetes/") || !isASCII("https://github.com/kubernetes/") {
		t.Error("isASCII")
	}
	for _, c := range [][3]string{{"https://github.com/Sigstore", "https://github.com/sigstore", "1"}, {"k", "\u212a", ""}, {"abc", "abd", ""}, {"ab", "abc", ""}} {
		if got := asciifold.Equal(c[0], c[1]); got != (c[2] == "1") {
			t.Errorf("asciifold.Equal(%q, %q) = %v", c[0], c[1], got)
		}
	}
}

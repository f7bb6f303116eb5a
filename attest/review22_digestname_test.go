package attest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
)

// TestReview22DigestAlgorithmSpelling: a subject's digest set could hold,
// next to a valid "sha256", a "SHA-256" or "sha256 " with another value.
// A verifier matching "sha256" reads the first, a person reviewing the
// statement may read the second as the same algorithm: the statement says
// two things. A case, punctuation or spacing variant of a spec name, and a
// name outside printable ASCII, are refused; names the spec does not
// know stay allowed, and a spec name's value is still checked. (A pair
// differing only in case was already refused by the parser as ambiguous
// JSON, so ParseStatement is given the variant alone.)
func TestReview22DigestAlgorithmSpelling(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("a", 64)
	other := strings.Repeat("b", 64)
	for _, alg := range []string{"SHA-512", "sha256 ", "Sha256", "sha-256", "SHA256", "sha_256", "sha512-224", "sha3-256", "Blake2b", "gitcommit", "git_commit", "GITTREE", "DirHash", "sha256\u200b", "sh\u0430256", "\tsha1"} {
		d := attest.DigestSet{"sha256": good, alg: other}
		if err := d.Validate(); !errors.Is(err, attest.ErrAlgorithmSpelling) || !errors.Is(err, attest.ErrInvalidDigest) {
			t.Errorf("%q: Validate: %v, want ErrAlgorithmSpelling", alg, err)
		}
		st := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{` + quote(alg) + `:"` + other + `"}}],"predicateType":"https://x","predicate":{}}`
		if _, err := attest.ParseStatement([]byte(st)); !errors.Is(err, attest.ErrAlgorithmSpelling) || !errors.Is(err, attest.ErrInvalidStatement) {
			t.Errorf("%q: ParseStatement: %v, want ErrAlgorithmSpelling", alg, err)
		}
	}
	for _, alg := range []string{"sha256", "gitCommit", "sha512_256", "myHash", "goModuleH1", "sha2-256", "x-custom"} {
		v := good
		if alg == "gitCommit" {
			v = strings.Repeat("c", 40)
		}
		if err := (attest.DigestSet{alg: v}).Validate(); err != nil {
			t.Errorf("%q: Validate: %v, want accepted", alg, err)
		}
	}
	for _, d := range []attest.DigestSet{{"sha256": strings.ToUpper(good)}, {"sha256": good[:63]}, {"sha512": good}} {
		if err := d.Validate(); !errors.Is(err, attest.ErrInvalidDigest) {
			t.Errorf("%v: Validate: %v, want ErrInvalidDigest", d, err)
		}
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

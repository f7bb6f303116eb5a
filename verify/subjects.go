package verify

import (
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/ztci/ztci/attest"
)

// checkSubjects requires a subject of the statement to name the artifact,
// and every subject that names it to name it alone: each of its digests in
// an algorithm the artifact can be hashed with here (sha256, sha384 and
// sha512 for bytes and streams; the one algorithm of an ArtifactDigest)
// must be the artifact's. sigstore-go accepts a subject when one of its
// digests matches, and which one it compares depends on how the artifact
// was given (the strongest algorithm for bytes, the stream's or the
// digest's otherwise): a subject {sha256: A, sha512: B} would verify as A
// for one caller and as B for another. Algorithms not computed here
// (sha1, gitCommit, …) cannot be checked and are left alone. want names
// the artifact in errors.
func checkSubjects(subjects []attest.DigestSet, want string, prep prepared) error {
	computed := map[string]string{}
	digestIn := func(alg string) (string, bool) {
		if d, ok := computed[alg]; ok {
			return d, d != ""
		}
		d := ""
		if digestSize(alg) == 0 {
			return "", false // not hashed here (prep.in would answer sha256)
		}
		if r, ok := prep.in(alg); ok {
			d = hex.EncodeToString(r.digest)
		}
		computed[alg] = d
		return d, d != ""
	}
	var got []string
	named := false
	for _, set := range subjects {
		match, other := false, ""
		for _, alg := range slices.Sorted(maps.Keys(set)) {
			d, ok := digestIn(alg)
			switch {
			case !ok:
			case set[alg] == d:
				match = true
			case other == "":
				other = alg + ":" + set[alg]
			}
			got = append(got, alg+":"+set[alg])
		}
		if match && other != "" {
			return &ArtifactMismatchError{Want: want, Got: "a subject that also names " + other}
		}
		named = named || match
	}
	if !named {
		return &ArtifactMismatchError{Want: want, Got: strings.Join(got, ",")}
	}
	return nil
}

// statementSubjects returns the digest sets of st's subjects.
func statementSubjects(st *attest.Statement) []attest.DigestSet {
	out := make([]attest.DigestSet, 0, len(st.Subject))
	for _, s := range st.Subject {
		out = append(out, s.Digest)
	}
	return out
}

// payloadSubjects reads the digest sets of an unverified statement, best
// effort: only to classify a failure.
func payloadSubjects(payload []byte) []attest.DigestSet {
	var st struct {
		Subject []struct {
			Digest attest.DigestSet `json:"digest"`
		} `json:"subject"`
	}
	_ = json.Unmarshal(payload, &st)
	out := make([]attest.DigestSet, 0, len(st.Subject))
	for _, s := range st.Subject {
		out = append(out, s.Digest)
	}
	return out
}

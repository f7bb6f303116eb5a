package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/verify"
)

const (
	conformanceDir      = "testdata/conformance"
	conformanceIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	conformanceIssuer   = "https://token.actions.githubusercontent.com"
)

// conformanceCategory is the error category each _fail case must produce.
// Where it differs from what the case's name says, the comment explains
// (vectors README §1, "Vector defects found"; testdata/conformance/README.md).
var conformanceCategory = map[string]error{
	"bundle-empty-certificate-chain_fail":                       verify.ErrTlog, // name: empty chain; sigstore-go first rejects the missing checkpoint
	"bundle-from-wrong-instance_fail":                           verify.ErrTlog, // staging bundle: its log is not in the prod root
	"bundle-invalid-base64-signature_fail":                      verify.ErrMalformedBundle,
	"bundle-malformed-json_fail":                                verify.ErrMalformedBundle,
	"bundle-negative-log-index_fail":                            verify.ErrTlog,
	"bundle-unknown-version_fail":                               verify.ErrMalformedBundle,
	"bundle-with-root-cert_fail":                                verify.ErrTlog, // name: root cert in chain; rejected first for the missing checkpoint
	"checkpoint-bad-keyhint_fail":                               verify.ErrTlog,
	"checkpoint-wrong-roothash_fail":                            verify.ErrTlog,
	"dsse-invalid-sig_fail":                                     verify.ErrTlog, // the log entry no longer matches the envelope
	"dsse-mismatch-envelope_fail":                               verify.ErrTlog,
	"dsse-mismatch-sig_fail":                                    verify.ErrTlog,
	"inclusion-proof-corrupted-hash_fail":                       verify.ErrTlog,
	"incorrect-public-key_fail":                                 verify.ErrTlog,
	"integrated-time-in-future_fail":                            verify.ErrTlog,
	"intoto-expired-certificate_fail":                           verify.ErrTlog,
	"intoto-log-entry-mismatch_fail":                            verify.ErrTlog,
	"intoto-missing-inclusion-proof_fail":                       verify.ErrTlog,
	"intoto-set-outside-signing-cert-validity_fail":             verify.ErrTlog,
	"intoto-tsa-timestamp-outside-cert-validity_fail":           verify.ErrUntrustedChain,
	"invalid-checkpoint-signature_fail":                         verify.ErrTlog,
	"invalid-ct-key_fail":                                       verify.ErrCertificateTransparency,
	"invalid-inclusion-proof_fail":                              verify.ErrTlog,
	"managed-key-no-key_fail":                                   verify.ErrIdentityMismatch,
	"managed-key-wrong-key_fail":                                verify.ErrInvalidExpectation, // key.pub does not parse ("…wrongkey==")
	"message-digest-mismatch_fail":                              verify.ErrTlog,
	"rekor2-checkpoint-missing-log-signature_fail":              verify.ErrTlog,
	"rekor2-checkpoint-missing-origin_fail":                     verify.ErrTlog,
	"rekor2-checkpoint-missing-root-hash_fail":                  verify.ErrTlog,
	"rekor2-checkpoint-missing-size_fail":                       verify.ErrTlog,
	"rekor2-checkpoint-no-matching-signature_fail":              verify.ErrTlog,
	"rekor2-dsse-invalid-sig_fail":                              verify.ErrTlog,
	"rekor2-dsse-mismatch-envelope_fail":                        verify.ErrTlog,
	"rekor2-dsse-mismatch-sig_fail":                             verify.ErrTlog,
	"rekor2-no-inclusion-proof_fail":                            verify.ErrTlog,
	"rekor2-no-timestamp_fail":                                  verify.ErrTimestamp,
	"rekor2-timestamp-outside-trust-root-tsa-validity_fail":     verify.ErrTimestamp,
	"rekor2-timestamp-outside-tsa-cert-validity_fail":           verify.ErrTimestamp,
	"rekor2-timestamp-payload-mismatch_fail":                    verify.ErrTimestamp,
	"rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail":    verify.ErrTimestamp,
	"rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": verify.ErrTimestamp,
	"rekor2-timestamp-with-incorrect-time_fail":                 verify.ErrMalformedBundle, // name: time outside cert; the timestamp's base64 has literal \n, so it never parses
	"set-invalid-signature_fail":                                verify.ErrTlog,
	"signature-mismatch_fail":                                   verify.ErrTlog,
	"trust-root-tlog-missing-validity-start_fail":               verify.ErrTrustMaterial, // refused when the root is loaded, before any bundle
	"wrong-hashedrekord-artifact_fail":                          verify.ErrTlog,
	"wrong-hashedrekord-cert-and-sig_fail":                      verify.ErrTlog,
	"wrong-hashedrekord-entry_fail":                             verify.ErrTlog,
	"wrong-material_fail":                                       verify.ErrArtifactMismatch, // valid bundle for another artifact
}

// conformanceCase runs one bundle-verify case the way the upstream suite's
// client protocol does: identity/issuer or key, optional trusted root,
// artifact path or sha256 digest.
func conformanceCase(t *testing.T, dir string, byDigest bool) (*verify.Result, error) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		return b
	}
	var trust root.TrustedMaterial
	var err error
	if tr := read("trusted_root.json"); tr != nil {
		trust, err = verify.ParseTrustedRoot(tr)
	} else {
		trust, err = verify.PublicGood()
	}
	if err != nil {
		return nil, err
	}
	expect := verify.Expectation{}
	if key := read("key.pub"); key != nil {
		pk, err := verify.ParsePublicKeyPEM(key)
		if err != nil {
			return nil, err
		}
		expect.Signer = pk
	} else {
		id := verify.Identity{SAN: conformanceIdentity, Issuer: conformanceIssuer}
		if s := read("identity"); s != nil {
			id.SAN = strings.TrimSpace(string(s))
		}
		if s := read("issuer"); s != nil {
			id.Issuer = strings.TrimSpace(string(s))
		}
		expect.Signer = id
	}
	v, err := verify.New(trust, expect, verify.WithAnyPredicateTypeUnsafe())
	if err != nil {
		return nil, err
	}
	artifact := read("artifact")
	if artifact == nil {
		artifact, err = os.ReadFile(filepath.Join(conformanceDir, "a.txt"))
		if err != nil {
			t.Fatal(err)
		}
	}
	art := verify.ArtifactBytes(artifact)
	if byDigest {
		sum := sha256.Sum256(artifact)
		if art, err = verify.ArtifactDigest("sha256", hex.EncodeToString(sum[:])); err != nil {
			t.Fatal(err)
		}
	}
	return v.Verify(t.Context(), read("bundle.sigstore.json"), art)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		wantFail := strings.HasSuffix(name, "_fail")
		for _, mode := range []string{"path", "digest"} {
			n++
			t.Run(name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				res, err := conformanceCase(t, filepath.Join(conformanceDir, name), mode == "digest")
				if !wantFail {
					if err != nil {
						t.Fatalf("want success, got %v", err)
					}
					if res == nil || len(res.Checks) == 0 {
						t.Fatalf("success without a result")
					}
					return
				}
				if err == nil {
					t.Fatalf("want failure, verified: %s", res)
				}
				if !errors.Is(err, verify.ErrVerification) {
					t.Errorf("error does not match ErrVerification: %v", err)
				}
				cat, ok := conformanceCategory[name]
				if !ok {
					t.Fatalf("no expected category for %s; error: %v", name, err)
				}
				if !errors.Is(err, cat) {
					t.Errorf("category: want %v, got %v", cat, err)
				}
			})
		}
	}
	if n != 140 {
		t.Errorf("ran %d conformance runs, want 140", n)
	}
}

package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/verify"
)

// review37Vector is a conformance vector's bundle (as JSON members, to
// edit), its trusted root (nil: public good) and artifact.
func review37Vector(t *testing.T, name string) (bundle map[string]any, trustJSON, artifact []byte) {
	t.Helper()
	dir := filepath.Join(conformanceDir, name)
	b, err := os.ReadFile(filepath.Join(dir, "bundle.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	trustJSON, err = os.ReadFile(filepath.Join(dir, "trusted_root.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if artifact, err = os.ReadFile(filepath.Join(conformanceDir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	return bundle, trustJSON, artifact
}

// review37Verify verifies bundle for artifact under trustJSON (nil: public
// good) with the conformance identity.
func review37Verify(t *testing.T, bundle map[string]any, trustJSON, artifact []byte, opts ...verify.Option) error {
	t.Helper()
	var trust root.TrustedMaterial
	var err error
	if trustJSON != nil {
		trust, err = verify.ParseTrustedRoot(trustJSON)
	} else {
		trust, err = verify.PublicGood()
	}
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: conformanceIdentity, Issuer: conformanceIssuer}},
		append([]verify.Option{verify.WithAnyPredicateTypeUnsafe()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), b, verify.ArtifactBytes(artifact))
	return err
}

// review37Entry is the bundle's first log entry.
func review37Entry(bundle map[string]any) map[string]any {
	vm := bundle["verificationMaterial"].(map[string]any)
	return vm["tlogEntries"].([]any)[0].(map[string]any)
}

// review37EditBody rewrites the entry's canonicalized body.
func review37EditBody(t *testing.T, entry map[string]any, edit func(body map[string]any)) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(entry["canonicalizedBody"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	edit(body)
	out, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	entry["canonicalizedBody"] = base64.StdEncoding.EncodeToString(out)
}

// TestReview37TlogBindRestatedProof: sigstore-go verifies a log entry's
// checkpoint signature and, for a Rekor v1 proof, that its root hash is
// the proof's, but computes the proof for the tree size and index the
// proof states, never the checkpoint's (and ignores the proof's size, index
// and root for a Rekor v2 proof). A real public-good entry's proof (the
// last leaf of its tree, 11 left siblings) computes the same root as the
// last leaf of a tree of 2048: restated so, it verified, the proof's size
// and index the word of whoever edited the bundle. Likewise a Rekor v2
// proof's fields, a Rekor v2 body (sigstore-go proves an entry rebuilt
// from the bundle and never reads it) and kindVersion (sigstore-go reads
// both from kindVersion and compares them with themselves). Each must now
// be refused (ErrTlog), and the untouched vectors still verify.
func TestReview37TlogBindRestatedProof(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		vector string
		edit   func(t *testing.T, entry map[string]any)
		ok     bool
	}{
		{name: "v1 untouched", vector: "happy-path-v0.3", edit: func(*testing.T, map[string]any) {}, ok: true},
		{name: "v2 untouched", vector: "rekor2-happy-path", edit: func(*testing.T, map[string]any) {}, ok: true},
		{name: "v1 proof restated to another tree", vector: "happy-path-v0.3", edit: func(_ *testing.T, e map[string]any) {
			p := e["inclusionProof"].(map[string]any)
			p["logIndex"], p["treeSize"] = "2047", "2048"
		}},
		{name: "v1 kind restated", vector: "happy-path-v0.3", edit: func(_ *testing.T, e map[string]any) {
			e["kindVersion"].(map[string]any)["kind"] = "dsse"
		}},
		{name: "v1 version restated", vector: "happy-path-v0.3", edit: func(_ *testing.T, e map[string]any) {
			e["kindVersion"].(map[string]any)["version"] = "0.0.2"
		}},
		{name: "v2 proof size restated", vector: "rekor2-happy-path", edit: func(_ *testing.T, e map[string]any) {
			e["inclusionProof"].(map[string]any)["treeSize"] = "1000"
		}},
		{name: "v2 proof index restated", vector: "rekor2-happy-path", edit: func(_ *testing.T, e map[string]any) {
			e["inclusionProof"].(map[string]any)["logIndex"] = "7"
		}},
		{name: "v2 proof root restated", vector: "rekor2-happy-path", edit: func(_ *testing.T, e map[string]any) {
			sum := sha256.Sum256([]byte("another root"))
			e["inclusionProof"].(map[string]any)["rootHash"] = base64.StdEncoding.EncodeToString(sum[:])
		}},
		{name: "v2 version restated", vector: "rekor2-happy-path", edit: func(_ *testing.T, e map[string]any) {
			e["kindVersion"].(map[string]any)["version"] = "0.0.1"
		}},
		{name: "v2 body names another digest", vector: "rekor2-happy-path", edit: func(t *testing.T, e map[string]any) {
			review37EditBody(t, e, func(body map[string]any) {
				data := body["spec"].(map[string]any)["hashedRekordV002"].(map[string]any)["data"].(map[string]any)
				sum := sha256.Sum256([]byte("another artifact"))
				data["digest"] = base64.StdEncoding.EncodeToString(sum[:])
			})
		}},
		{name: "v2 body names another kind", vector: "rekor2-happy-path", edit: func(t *testing.T, e map[string]any) {
			review37EditBody(t, e, func(body map[string]any) { body["kind"] = "dsse" })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bundle, trustJSON, artifact := review37Vector(t, tt.vector)
			tt.edit(t, review37Entry(bundle))
			err := review37Verify(t, bundle, trustJSON, artifact)
			if tt.ok {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if !errors.Is(err, verify.ErrTlog) {
				t.Fatalf("want ErrTlog, got %v", err)
			}
			if _, verr := verify.ValidateBundle(mustJSON(t, bundle)); !errors.Is(verr, verify.ErrTlog) {
				t.Errorf("ValidateBundle: want ErrTlog, got %v", verr)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReview37TlogBindOneLogTwoIDs: sigstore-go counts verified entries
// by log id toward WithTlogThreshold, and an inclusion proof does not sign
// the log id. With the public-good Rekor key stated under a second id (a
// root that computes the id its own way), one entry's proof, copied under
// the second id without its SET, met a threshold of two logs. Such a
// bundle must be refused (ErrTlog); one entry still verifies.
func TestReview37TlogBindOneLogTwoIDs(t *testing.T) {
	t.Parallel()
	var tr map[string]any
	if err := json.Unmarshal(verify.PublicGoodJSON(), &tr); err != nil {
		t.Fatal(err)
	}
	bundle, _, artifact := review37Vector(t, "happy-path-v0.3")
	entry := review37Entry(bundle)
	logID := entry["logId"].(map[string]any)["keyId"].(string)
	otherID := base64.StdEncoding.EncodeToString(make([]byte, 32))
	var copyLog map[string]any
	for _, l := range tr["tlogs"].([]any) {
		if l.(map[string]any)["logId"].(map[string]any)["keyId"] == logID {
			if err := json.Unmarshal(mustJSON(t, l), &copyLog); err != nil {
				t.Fatal(err)
			}
		}
	}
	if copyLog == nil {
		t.Fatal("the vector's log is not in the public-good root")
	}
	copyLog["logId"] = map[string]any{"keyId": otherID}
	tr["tlogs"] = append(tr["tlogs"].([]any), copyLog)
	trustJSON := mustJSON(t, tr)

	if err := review37Verify(t, bundle, trustJSON, artifact, verify.WithTlogThreshold(1)); err != nil {
		t.Fatalf("one entry: want success, got %v", err)
	}
	var second map[string]any
	if err := json.Unmarshal(mustJSON(t, entry), &second); err != nil {
		t.Fatal(err)
	}
	second["logId"] = map[string]any{"keyId": otherID}
	delete(second, "inclusionPromise")
	vm := bundle["verificationMaterial"].(map[string]any)
	vm["tlogEntries"] = append(vm["tlogEntries"].([]any), second)
	if err := review37Verify(t, bundle, trustJSON, artifact, verify.WithTlogThreshold(2)); !errors.Is(err, verify.ErrTlog) {
		t.Fatalf("one log under two ids toward a threshold of 2: want ErrTlog, got %v", err)
	}
}

package image_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

// testVerifier verifies the bundles ocitest.Signer makes: DSSE signature by
// a trusted key, and the statement's subject digest equal to the artifact.
// It keeps the registry tests independent of verify, used through the same
// BundleVerifier seam (e2e_test.go and attest_e2e_test.go use verify itself).
type testVerifier struct {
	trusted map[string]ed25519.PublicKey
	calls   atomic.Int64
}

func newTestVerifier(signers ...ocitest.Signer) *testVerifier {
	tv := &testVerifier{trusted: map[string]ed25519.PublicKey{}}
	for _, s := range signers {
		tv.trusted[s.ID] = s.Key.Public().(ed25519.PublicKey)
	}
	return tv
}

var errUntrusted = errors.New("test verifier: untrusted or invalid")

func (tv *testVerifier) VerifyBundle(_ context.Context, b []byte, artifact v1.Hash) (image.BundleResult, error) {
	tv.calls.Add(1)
	var bun struct {
		DSSE struct {
			PayloadType string `json:"payloadType"`
			Payload     string `json:"payload"`
			Signatures  []struct {
				KeyID string `json:"keyid"`
				Sig   string `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &bun); err != nil || len(bun.DSSE.Signatures) != 1 {
		return image.BundleResult{}, errUntrusted
	}
	payload, err := base64.StdEncoding.DecodeString(bun.DSSE.Payload)
	if err != nil {
		return image.BundleResult{}, errUntrusted
	}
	s := bun.DSSE.Signatures[0]
	pub, ok := tv.trusted[s.KeyID]
	sig, err := base64.StdEncoding.DecodeString(s.Sig)
	if !ok || err != nil || !ed25519.Verify(pub, ocitest.PAE(bun.DSSE.PayloadType, payload), sig) {
		return image.BundleResult{}, errUntrusted
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(payload, &st); err != nil || len(st.Subject) != 1 {
		return image.BundleResult{}, errUntrusted
	}
	if got := st.Subject[0].Digest["sha256"]; artifact.Algorithm != "sha256" || got != artifact.Hex {
		return image.BundleResult{}, fmt.Errorf("%w: statement is about sha256:%s, not %s", errUntrusted, got, artifact)
	}
	return image.BundleResult{Signer: s.KeyID, PredicateType: st.PredicateType}, nil
}

// opts are the Verifier's test options: anonymous (tests never read the
// developer's docker config), fast retries, and c counting requests.
func opts(c *ocitest.Counter, extra ...image.Option) []image.Option {
	o := []image.Option{image.WithKeychain(authn.NewMultiKeychain())}
	if c != nil {
		o = append(o, image.WithTransport(c))
	}
	o = append(o, image.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3}))
	return append(o, extra...)
}

// attachOpts are the same for attach.Bundle, which the tests use to set up.
func attachOpts(c *ocitest.Counter, extra ...attach.Option) []attach.Option {
	o := []attach.Option{attach.WithKeychain(authn.NewMultiKeychain())}
	if c != nil {
		o = append(o, attach.WithTransport(c))
	}
	o = append(o, attach.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3}))
	return append(o, extra...)
}

func rngSource(seed int64) rand.Source { return rand.NewSource(seed) }

func itoa(n int) string { return fmt.Sprint(n) }

func bytesReader(b []byte) io.Reader { return strings.NewReader(string(b)) }

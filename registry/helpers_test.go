package registry_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/registry"
)

// registryKind names a registry the tests run against.
type registryKind string

const (
	ggcrReferrers   registryKind = "ggcr-referrers"    // in-process, referrers API on
	ggcrNoReferrers registryKind = "ggcr-no-referrers" // in-process, referrers API off
	dockerRegistry  registryKind = "docker-registry"   // Debian distribution 2.8.2, no referrers API
)

var allKinds = []registryKind{ggcrReferrers, ggcrNoReferrers, dockerRegistry}

// wantPath is the discovery path each registry leads to.
func (k registryKind) wantPath() registry.Path {
	if k == ggcrReferrers {
		return registry.PathReferrersAPI
	}
	return registry.PathReferrersTag
}

// testRegistry is a running registry.
type testRegistry struct {
	Host    string // host:port
	Storage string // docker-registry only: its storage directory
}

// startRegistry starts a registry of kind. wrap, when not nil, wraps the
// in-process registry's handler to inject faults.
func startRegistry(t testing.TB, kind registryKind, wrap func(http.Handler) http.Handler) testRegistry {
	t.Helper()
	switch kind {
	case ggcrReferrers, ggcrNoReferrers:
		h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)),
			ggcrregistry.WithReferrersSupport(kind == ggcrReferrers))
		if wrap != nil {
			h = wrap(h)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return testRegistry{Host: strings.TrimPrefix(srv.URL, "http://")}
	case dockerRegistry:
		bin := itest.Binary(t, "ZTCI_DOCKER_REGISTRY")
		dir := t.TempDir()
		addr := itest.Addr(itest.FreePort(t))
		cfg := filepath.Join(dir, "config.yml")
		storage := filepath.Join(dir, "storage")
		conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", storage, addr)
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		p := itest.Start(t, exec.Command(bin, "serve", cfg))
		p.WaitHTTP(t, "http://"+addr+"/v2/", 10*time.Second)
		return testRegistry{Host: addr, Storage: storage}
	}
	t.Fatalf("unknown registry kind %q", kind)
	return testRegistry{}
}

func (r testRegistry) ref(t testing.TB, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(r.Host+"/"+s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// pushImage pushes a random image to ref and returns its digest.
func pushImage(t testing.TB, ref name.Reference, seed int64) name.Digest {
	t.Helper()
	img := randomImage(t, seed)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(d.String())
}

// counter is a counting http.RoundTripper: it records every request that
// reaches the network.
type counter struct {
	base   http.RoundTripper
	mu     sync.Mutex
	reqs   []string
	n      atomic.Int64
	failed atomic.Int64
}

func newCounter() *counter { return &counter{base: http.DefaultTransport} }

// RoundTrip counts requests that got an HTTP response. ggcr's ping of a
// name.Insecure registry first tries https, which fails in the TLS handshake
// against a plain-http server; those attempts are counted in failed.
func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		c.failed.Add(1)
		return resp, err
	}
	c.n.Add(1)
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return resp, err
}

func (c *counter) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reqs
	c.reqs = nil
	c.n.Store(0)
	return r
}

// signer is a test signer: DSSE over an in-toto statement with ed25519.
// It stands in for attest's signers until the real ones are wired (see
// testVerifier).
type signer struct {
	id  string
	key ed25519.PrivateKey
}

func newSigner(id string) signer {
	seed := sha256.Sum256([]byte(id))
	return signer{id: id, key: ed25519.NewKeyFromSeed(seed[:])}
}

func pae(typ string, body []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(typ), typ, len(body), body)
}

const provenanceType = "https://slsa.dev/provenance/v1"

// bundle returns a Sigstore-bundle-shaped JSON document whose DSSE envelope
// carries an in-toto statement about digest, signed by s.
func (s signer) bundle(t testing.TB, digest string) []byte {
	t.Helper()
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "image", "digest": map[string]string{"sha256": h.Hex}}},
		"predicateType": provenanceType,
		"predicate":     map[string]any{"buildDefinition": map[string]any{}},
	})
	sig := ed25519.Sign(s.key, pae("application/vnd.in-toto+json", st))
	b, _ := json.Marshal(map[string]any{
		"mediaType":            registry.BundleMediaType,
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": s.id}},
		"dsseEnvelope": map[string]any{
			"payloadType": "application/vnd.in-toto+json",
			"payload":     base64.StdEncoding.EncodeToString(st),
			"signatures":  []any{map[string]string{"keyid": s.id, "sig": base64.StdEncoding.EncodeToString(sig)}},
		},
	})
	return b
}

// testVerifier verifies the bundles signer.bundle makes: DSSE signature by a
// trusted key, and the statement's subject digest equal to the artifact.
// It is a stand-in for verify (being written in parallel), used through the
// same BundleVerifier seam.
type testVerifier struct {
	trusted map[string]ed25519.PublicKey
	calls   atomic.Int64
}

func newTestVerifier(signers ...signer) *testVerifier {
	tv := &testVerifier{trusted: map[string]ed25519.PublicKey{}}
	for _, s := range signers {
		tv.trusted[s.id] = s.key.Public().(ed25519.PublicKey)
	}
	return tv
}

var errUntrusted = errors.New("test verifier: untrusted or invalid")

func (tv *testVerifier) VerifyBundle(_ context.Context, b []byte, artifact v1.Hash) (registry.BundleResult, error) {
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
		return registry.BundleResult{}, errUntrusted
	}
	payload, err := base64.StdEncoding.DecodeString(bun.DSSE.Payload)
	if err != nil {
		return registry.BundleResult{}, errUntrusted
	}
	s := bun.DSSE.Signatures[0]
	pub, ok := tv.trusted[s.KeyID]
	sig, err := base64.StdEncoding.DecodeString(s.Sig)
	if !ok || err != nil || !ed25519.Verify(pub, pae(bun.DSSE.PayloadType, payload), sig) {
		return registry.BundleResult{}, errUntrusted
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(payload, &st); err != nil || len(st.Subject) != 1 {
		return registry.BundleResult{}, errUntrusted
	}
	if got := st.Subject[0].Digest["sha256"]; artifact.Algorithm != "sha256" || got != artifact.Hex {
		return registry.BundleResult{}, fmt.Errorf("%w: statement is about sha256:%s, not %s", errUntrusted, got, artifact)
	}
	return registry.BundleResult{Signer: s.KeyID, PredicateType: st.PredicateType}, nil
}

// anonymous keeps tests from reading the developer's docker config.
func opts(c *counter, extra ...registry.Option) []registry.Option {
	o := []registry.Option{registry.WithKeychain(authn.NewMultiKeychain())}
	if c != nil {
		o = append(o, registry.WithTransport(c))
	}
	o = append(o, registry.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3}))
	return append(o, extra...)
}

func hexOf(d name.Digest) string {
	h, _ := v1.NewHash(d.DigestStr())
	return h.Hex
}

func rngSource(seed int64) rand.Source { return rand.NewSource(seed) }

func fixedClock(sec int64) func() time.Time {
	return func() time.Time { return time.Unix(1_700_000_000+sec, 0) }
}

func itoa(n int) string { return fmt.Sprint(n) }

func randomImage(t testing.TB, seed int64) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1, random.WithSource(rngSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func bytesReader(b []byte) io.Reader { return strings.NewReader(string(b)) }

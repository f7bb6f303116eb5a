// Package ocitest runs the registries that the tests of verify/image and
// attest/attach share: go-containerregistry's in-process registry with and
// without the referrers API, and a real distribution registry (skipped
// unless ZTCI_DOCKER_REGISTRY names one, see internal/itest). It also has a
// counting transport and a test signer whose bundles have the shape of
// Sigstore bundles.
package ocitest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/internal/mediatype"
	"github.com/ztci/ztci/internal/oci"
)

// Kind names a registry the tests run against.
type Kind string

const (
	GGCRReferrers   Kind = "ggcr-referrers"    // in-process, referrers API on
	GGCRNoReferrers Kind = "ggcr-no-referrers" // in-process, referrers API off
	DockerRegistry  Kind = "docker-registry"   // Debian distribution 2.8.2, no referrers API
)

// AllKinds lists every kind.
var AllKinds = []Kind{GGCRReferrers, GGCRNoReferrers, DockerRegistry}

// WantPath is the discovery path each registry leads to.
func (k Kind) WantPath() oci.Path {
	if k == GGCRReferrers {
		return oci.PathReferrersAPI
	}
	return oci.PathReferrersTag
}

// Registry is a running registry.
type Registry struct {
	Host    string // host:port
	Storage string // docker-registry only: its storage directory
}

// Start starts a registry of kind, stopped when t ends. wrap, when not nil,
// wraps the in-process registry's handler to inject faults.
func Start(t testing.TB, kind Kind, wrap func(http.Handler) http.Handler) Registry {
	t.Helper()
	switch kind {
	case GGCRReferrers, GGCRNoReferrers:
		h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)),
			ggcrregistry.WithReferrersSupport(kind == GGCRReferrers))
		if wrap != nil {
			h = wrap(h)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return Registry{Host: strings.TrimPrefix(srv.URL, "http://")}
	case DockerRegistry:
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
		return Registry{Host: addr, Storage: storage}
	}
	t.Fatalf("unknown registry kind %q", kind)
	return Registry{}
}

// Ref parses s (repository[:tag]) on r, over plain HTTP.
func (r Registry) Ref(t testing.TB, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(r.Host+"/"+s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// PushImage pushes a random image made from seed to ref and returns its digest.
func PushImage(t testing.TB, ref name.Reference, seed int64) name.Digest {
	t.Helper()
	img := RandomImage(t, seed)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(d.String())
}

// Counter is a counting http.RoundTripper: it records every request that
// reaches the network.
type Counter struct {
	Base   http.RoundTripper
	N      atomic.Int64 // requests that got an HTTP response
	Failed atomic.Int64 // requests that did not
	mu     sync.Mutex
	reqs   []string
}

// NewCounter returns a Counter over http.DefaultTransport.
func NewCounter() *Counter { return &Counter{Base: http.DefaultTransport} }

// RoundTrip counts requests that got an HTTP response. ggcr's ping of a
// name.Insecure registry first tries https, which fails in the TLS handshake
// against a plain-http server; those attempts are counted in Failed.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.Base.RoundTrip(r)
	if err != nil {
		c.Failed.Add(1)
		return resp, err
	}
	c.N.Add(1)
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return resp, err
}

// Reset returns the requests counted so far ("METHOD /path") and starts
// counting again.
func (c *Counter) Reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reqs
	c.reqs = nil
	c.N.Store(0)
	return r
}

// Signer is a test signer: DSSE over an in-toto statement with ed25519,
// wrapped in a Sigstore-bundle-shaped document. It keeps registry tests
// independent of attest's signers; the tests of verify/image check its
// bundles with a matching test BundleVerifier.
type Signer struct {
	ID  string
	Key ed25519.PrivateKey
}

// NewSigner returns the signer named id; its key is derived from id.
func NewSigner(id string) Signer {
	seed := sha256.Sum256([]byte(id))
	return Signer{ID: id, Key: ed25519.NewKeyFromSeed(seed[:])}
}

// PAE is DSSE's pre-authentication encoding of a payload of type typ.

func PAE(typ string, body []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(typ), typ, len(body), body)
}

// ProvenanceType is the predicate type of a Signer's statements.
const ProvenanceType = "https://slsa.dev/provenance/v1"

// Bundle returns a Sigstore-bundle-shaped JSON document whose DSSE envelope
// carries an in-toto statement about digest, signed by s.
func (s Signer) Bundle(t testing.TB, digest string) []byte {
	t.Helper()
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "image", "digest": map[string]string{"sha256": h.Hex}}},
		"predicateType": ProvenanceType,
		"predicate":     map[string]any{"buildDefinition": map[string]any{}},
	})
	sig := ed25519.Sign(s.Key, PAE("application/vnd.in-toto+json", st))
	b, _ := json.Marshal(map[string]any{
		"mediaType":            mediatype.SigstoreBundle,
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": s.ID}},
		"dsseEnvelope": map[string]any{
			"payloadType": "application/vnd.in-toto+json",
			"payload":     base64.StdEncoding.EncodeToString(st),
			"signatures":  []any{map[string]string{"keyid": s.ID, "sig": base64.StdEncoding.EncodeToString(sig)}},
		},
	})
	return b
}

// HexOf returns the hex of d's digest.
func HexOf(d name.Digest) string {
	h, _ := v1.NewHash(d.DigestStr())
	return h.Hex
}

// FixedClock returns a clock stopped sec seconds after 2023-11-14T22:13:20Z.
func FixedClock(sec int64) func() time.Time {
	return func() time.Time { return time.Unix(1_700_000_000+sec, 0) }
}

// RandomImage returns a one-layer random image, the same for the same seed.
func RandomImage(t testing.TB, seed int64) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

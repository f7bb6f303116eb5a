package gate_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// The verifier ids and policy location of the VSA tests.
const (
	gateA       = "https://gates.example/staging"
	policyURI   = "https://gates.example/policy/deploy"
	buildLevel3 = "SLSA_BUILD_LEVEL_3"
)

// vsaWorld is a Lab plus what a VSA-issuing gate needs: its own signing key
// (keyed bundles timestamped by its own TSA) and the trust a later gate
// needs to verify them.
type vsaWorld struct {
	lab    *gatetest.Lab
	tokens *oidc.Verifier
	key    *ecdsa.PrivateKey
	signer attest.Signer
	trust  root.TrustedMaterial
	tsa    *tsa.TSA
}

func newVSAWorld(t testing.TB, opts ...gatetest.Option) *vsaWorld {
	t.Helper()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	w := &vsaWorld{lab: lab}
	if w.tokens, err = oidc.NewVerifier(lab.IssuerURL(), gatetest.Audience); err != nil {
		t.Fatal(err)
	}
	if w.tsa, err = tsa.New(); err != nil {
		t.Fatal(err)
	}
	w.key = newKey(t)
	if w.signer, err = attest.NewKeySigner(w.key, attest.WithEmbeddedTimestampAuthority(w.tsa.Handler())); err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedTSA("https://tsa.gates.example", w.tsa).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if w.trust, err = verify.ParseTrustedRoot(trJSON); err != nil {
		t.Fatal(err)
	}
	return w
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyHint is the key hint attest writes into a keyed bundle (base64
// SHA-256 of the PKIX public key), which revocations match.
func keyHint(t testing.TB, k *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// vsaVerifier verifies VSA bundles signed by key and timestamped by the
// world's TSA.
func (w *vsaWorld) vsaVerifier(t testing.TB, key *ecdsa.PrivateKey) *verify.Verifier {
	t.Helper()
	v, err := verify.New(w.trust, verify.Expectation{Signer: verify.PublicKey{Key: key.Public()}, PredicateType: "https://slsa.dev/verification_summary/v1"},
		verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// trust is the VSATrust of a gate that trusts gate A at revision rev.
func (w *vsaWorld) trustA(t testing.TB, rev string) gate.VSATrust {
	return gate.VSATrust{VerifierID: gateA, Verifier: w.vsaVerifier(t, w.key), Revisions: []string{rev}, MaxAge: time.Hour}
}

// countingPolicy counts the evaluations of the Lab's policy and keeps the
// inputs it was asked about.
type countingPolicy struct {
	eng    *policy.Engine
	n      atomic.Int64
	mu     sync.Mutex
	inputs []policy.Input
}

func (p *countingPolicy) Evaluate(ctx context.Context, in policy.Input) (policy.Decision, error) {
	p.n.Add(1)
	p.mu.Lock()
	p.inputs = append(p.inputs, in)
	p.mu.Unlock()
	return p.eng.Evaluate(ctx, in)
}

// seen returns the inputs evaluated so far.
func (p *countingPolicy) seen() []policy.Input {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.inputs)
}

// gate is a deploy gate over the Lab, without any verification cache (so
// every decision reads the registry and verifies again), with opts.
func (w *vsaWorld) gate(t testing.TB, sink audit.Sink, opts ...gate.Option) (*gate.Gate, *countingPolicy) {
	t.Helper()
	vs, err := w.lab.Verifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	return w.gateWith(t, vs, w.lab.PolicyConfig(), sink, opts...)
}

// releaseGate is gate for images of Lab.PublishRelease: it verifies all
// five predicate types and decides with cfg.
func (w *vsaWorld) releaseGate(t testing.TB, cfg policy.LibraryConfig, sink audit.Sink, opts ...gate.Option) (*gate.Gate, *countingPolicy) {
	t.Helper()
	vs, err := w.lab.ReleaseVerifiers(false)
	if err != nil {
		t.Fatal(err)
	}
	return w.gateWith(t, vs, cfg, sink, opts...)
}

// gateWith is gate with the verifiers vs and the policy configuration cfg.
func (w *vsaWorld) gateWith(t testing.TB, vs gate.Verifiers, cfg policy.LibraryConfig, sink audit.Sink, opts ...gate.Option) (*gate.Gate, *countingPolicy) {
	t.Helper()
	eng, err := policy.New(t.Context(), policy.BuiltinWith(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	p := &countingPolicy{eng: eng}
	opts = append([]gate.Option{gate.WithRegistries(w.lab.Registry()), gate.WithImageOptions(image.WithCache(0, 0))}, opts...)
	g, err := gate.New(w.tokens, vs, p, sink, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g, p
}

// issuer is gate A's WithVSA; attached collects what it attaches.
func (w *vsaWorld) issuer(attached *attachments) gate.VSAIssuer {
	return gate.VSAIssuer{VerifierID: gateA, Signer: w.signer, Attacher: attached.wrap(gate.RegistryAttacher()),
		PolicyURI: policyURI, VerifiedLevels: []string{buildLevel3}}
}

// attachments records the bundles an Attacher attached.
type attachments struct {
	mu      sync.Mutex
	bundles [][]byte
}

func (a *attachments) wrap(next gate.Attacher) gate.Attacher {
	return gate.AttacherFunc(func(ctx context.Context, img name.Digest, b []byte) error {
		if err := next.Attach(ctx, img, b); err != nil {
			return err
		}
		a.mu.Lock()
		a.bundles = append(a.bundles, b)
		a.mu.Unlock()
		return nil
	})
}

func (a *attachments) all() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.bundles...)
}

// request is a deploy request by a job on main for img.
func (w *vsaWorld) request(t testing.TB, img string) gate.Request {
	t.Helper()
	tok, err := w.lab.Token(t.Context(), gatetest.Job{Ref: "refs/heads/main", Protected: true})
	if err != nil {
		t.Fatal(err)
	}
	return gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img}
}

func discard() audit.Sink {
	return audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
}

// publishMain publishes the Lab's image "v1" as a protected main-branch
// job's build.
// summarisedMain publishes the Lab's main image and has a gate that issues
// summaries allow it: the image, that gate's decision and the summaries it
// attached.
func (w *vsaWorld) summarisedMain(t testing.TB) (*gatetest.Published, gate.Decision, *attachments) {
	t.Helper()
	img := w.publishMain(t)
	attached := &attachments{}
	a, _ := w.gate(t, discard(), gate.WithVSA(w.issuer(attached)))
	dA, err := a.Decide(t.Context(), w.request(t, img.Image))
	if err != nil || !dA.Allowed || dA.IssuedVSA == nil {
		t.Fatalf("summarising gate: %s, %v", dA, err)
	}
	return img, dA, attached
}

func (w *vsaWorld) publishMain(t testing.TB) *gatetest.Published {
	t.Helper()
	img, err := w.lab.Publish(t.Context(), gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	return img
}

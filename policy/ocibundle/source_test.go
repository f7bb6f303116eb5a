package ocibundle_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
	"github.com/ztci/ztci/verify"
)

// TestSignedBundleLoads: on every registry, a bundle signed by the expected
// publisher loads, decides, and every Decision names its manifest digest.
func TestSignedBundleLoads(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			for _, tt := range []struct{ name, rev string }{{"with revision", "v1"}, {"without revision", ""}} {
				tag := reg.Ref(t, "policies:"+strings.ReplaceAll(tt.name, " ", "-"))
				d := pushBundle(t, tag, allowAll, tt.rev)
				sign(t, ss.certSigner(t, publisher), d, d)
				want := d.DigestStr()
				if tt.rev != "" {
					want = tt.rev + "@" + want
				}
				e := newEngine(t, ss.source(t, tag, publisherID))
				dec, err := e.Evaluate(t.Context(), policy.Input{})
				if err != nil || !dec.Allowed {
					t.Fatalf("%s: %v %v", tt.name, dec, err)
				}
				if dec.Revision != want || e.Revision() != want {
					t.Errorf("%s: decision revision %q, engine %q, want %q", tt.name, dec.Revision, e.Revision(), want)
				}
			}
		})
	}
}

// TestKeyedPublisher: a bundle signed with a managed key loads for that
// key, and not for another.
func TestKeyedPublisher(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tag := reg.Ref(t, "policies:keyed")
	d := pushBundle(t, tag, allowAll, "k1")
	sign(t, ss.keySigner(t, key), d, d)

	if _, err := ss.source(t, tag, verify.PublicKey{Key: key.Public()}).Load(t.Context()); err != nil {
		t.Fatalf("signing key: %v", err)
	}
	_, err := ss.source(t, tag, verify.PublicKey{Key: other.Public()}).Load(t.Context())
	if !errors.Is(err, ocibundle.ErrUnverified) || !errors.Is(err, verify.ErrVerification) || !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("other key: %v, want ErrUnverified from verify", err)
	}
	// A certificate expectation refuses a keyed bundle.
	_, err = ss.source(t, tag, publisherID).Load(t.Context())
	if !errors.Is(err, verify.ErrIdentityMismatch) {
		t.Fatalf("identity expectation on a keyed bundle: %v", err)
	}
}

// TestRefused: what must never be activated, on every registry, and the
// typed error each gets.
func TestRefused(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tests := []struct {
				name  string
				setup func(t *testing.T, tag name.Reference)
				opts  []ocibundle.Option
				want  []error
			}{{
				name:  "unsigned",
				setup: func(t *testing.T, tag name.Reference) { pushBundle(t, tag, allowAll, "u1") },
				want:  []error{ocibundle.ErrUnverified},
			}, {
				name: "signed by someone else",
				setup: func(t *testing.T, tag name.Reference) {
					d := pushBundle(t, tag, allowAll, "s1")
					sign(t, ss.certSigner(t, stranger), d, d)
				},
				want: []error{ocibundle.ErrUnverified, verify.ErrIdentityMismatch},
			}, {
				name: "publisher's signature of another bundle",
				setup: func(t *testing.T, tag name.Reference) {
					good := pushBundle(t, reg.Ref(t, "policies:good"), allowAll, "g1")
					d := pushBundle(t, tag, denyAll, "e1")
					sign(t, ss.certSigner(t, publisher), d, good)
				},
				want: []error{ocibundle.ErrUnverified, verify.ErrArtifactMismatch},
			}, {
				name: "tag moved to an unsigned bundle",
				setup: func(t *testing.T, tag name.Reference) {
					d := pushBundle(t, tag, allowAll, "m1")
					sign(t, ss.certSigner(t, publisher), d, d)
					pushBundle(t, tag, denyAll, "m2")
				},
				want: []error{ocibundle.ErrUnverified},
			}, {
				name: "layer over the limit",
				setup: func(t *testing.T, tag name.Reference) {
					noise := make([]byte, 4096)
					rand.Read(noise)
					// Hex of random bytes: about 4 KiB once compressed.
					js, _ := json.Marshal(map[string]string{"noise": hex.EncodeToString(noise)})
					d, _ := push(t, tag, artifact(t, tarball(t, allowAll, "big", map[string][]byte{"/data.json": js})))
					sign(t, ss.certSigner(t, publisher), d, d)
				},
				opts: []ocibundle.Option{ocibundle.WithMaxBundleBytes(1024)},
				want: []error{ocibundle.ErrTooLarge, ocibundle.ErrRegistry},
			}, {
				name: "signed image that is not a bundle",
				setup: func(t *testing.T, tag name.Reference) {
					d := ocitest.PushImage(t, tag, 7)
					sign(t, ss.certSigner(t, publisher), d, d)
				},
				want: []error{ocibundle.ErrFormat},
			}, {
				name: "signed artifact with two layers",
				setup: func(t *testing.T, tag name.Reference) {
					img, err := mutate.Append(artifact(t, tarball(t, allowAll, "two", nil)),
						mutate.Addendum{Layer: static.NewLayer(tarball(t, denyAll, "two", nil), types.OCILayer)})
					if err != nil {
						t.Fatal(err)
					}
					d, _ := push(t, tag, img)
					sign(t, ss.certSigner(t, publisher), d, d)
				},
				want: []error{ocibundle.ErrFormat},
			}, {
				name: "signed bundle that does not compile",
				setup: func(t *testing.T, tag name.Reference) {
					d := pushBundle(t, tag, "package test\ndecision := {", "c1")
					sign(t, ss.certSigner(t, publisher), d, d)
				},
				want: []error{policy.ErrCompile},
			}, {
				name:  "no such tag",
				setup: func(*testing.T, name.Reference) {},
				want:  []error{ocibundle.ErrNotFound},
			}}
			for i, tt := range tests {
				tag := reg.Ref(t, "policies:case"+strings.Repeat("x", i))
				tt.setup(t, tag)
				_, err := ss.source(t, tag, publisherID, tt.opts...).Load(t.Context())
				if !errors.Is(err, policy.ErrLoad) {
					t.Errorf("%s: %v does not wrap policy.ErrLoad", tt.name, err)
				}
				for _, w := range tt.want {
					if !errors.Is(err, w) {
						t.Errorf("%s: %v does not wrap %v", tt.name, err, w)
					}
				}
				var ue *ocibundle.UnverifiedError
				if errors.Is(err, ocibundle.ErrUnverified) && !errors.As(err, &ue) {
					t.Errorf("%s: %v is not an *UnverifiedError", tt.name, err)
				}
				// The same through an Engine: New fails, nothing is in force.
				if _, err := policy.New(t.Context(), ss.source(t, tag, publisherID, tt.opts...), policy.WithQuery("data.test.decision")); err == nil {
					t.Errorf("%s: policy.New accepted the bundle", tt.name)
				}
			}
		})
	}
}

// TestTamperedLayerOnDisk edits the bundle layer in the real
// docker-registry's storage after it was signed; the registry serves the
// edited bytes.
func TestTamperedLayerOnDisk(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	reg := ocitest.Start(t, ocitest.DockerRegistry, nil)
	tag := reg.Ref(t, "policies:v1")
	d, layer := push(t, tag, artifact(t, tarball(t, allowAll, "t1", nil)))
	sign(t, ss.certSigner(t, publisher), d, d)
	data := filepath.Join(reg.Storage, "docker/registry/v2/blobs/sha256", layer.Hex[:2], layer.Hex, "data")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ss.source(t, tag, publisherID).Load(t.Context())
	if !errors.Is(err, ocibundle.ErrDigestMismatch) || !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("tampered layer: %v, want ErrDigestMismatch", err)
	}
}

// TestTamperedLayerInTransit: a registry (or anything between it and the
// gate) that serves other bytes for the signed layer is caught.
func TestTamperedLayerInTransit(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	var target atomic.Pointer[string]
	reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := target.Load(); p == nil || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, *p) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			b[len(b)/2] ^= 0xff
			w.WriteHeader(rec.Code)
			w.Write(b)
		})
	})
	tag := reg.Ref(t, "policies:v1")
	d, layer := push(t, tag, artifact(t, tarball(t, allowAll, "t1", nil)))
	sign(t, ss.certSigner(t, publisher), d, d)
	p := "/blobs/" + layer.String()
	target.Store(&p)
	_, err := ss.source(t, tag, publisherID).Load(t.Context())
	if !errors.Is(err, ocibundle.ErrDigestMismatch) {
		t.Fatalf("tampered layer: %v, want ErrDigestMismatch", err)
	}
}

// syncBuffer is a log destination safe for the engine's and the source's
// concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReloadKeepsLastGood: an unsigned update, a wrong signer and a
// registry outage each leave the last good policy in force, reported by
// the reload error and the logs; a signed update then replaces it.
func TestReloadKeepsLastGood(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t, tsa.WithClock(steppingClock())) // one bundle per proven second
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	tag := reg.Ref(t, "policies:live")
	good := pushBundle(t, tag, allowAll, "r1")
	sign(t, ss.certSigner(t, publisher), good, good)

	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	e := newEngine(t, ss.source(t, tag, publisherID, ocibundle.WithLogger(log)), policy.WithLogger(log))
	rev := "r1@" + good.DigestStr()
	inForce := func(step string) {
		t.Helper()
		dec, err := e.Evaluate(t.Context(), policy.Input{})
		if err != nil || !dec.Allowed || dec.Revision != rev {
			t.Fatalf("%s: last good policy not in force: %v %v", step, dec, err)
		}
	}

	// Unsigned update.
	pushBundle(t, tag, denyAll, "r2")
	if err := e.Reload(t.Context()); !errors.Is(err, ocibundle.ErrUnverified) || !errors.Is(e.LastReloadError(), ocibundle.ErrUnverified) {
		t.Fatalf("unsigned update: %v / %v", err, e.LastReloadError())
	}
	inForce("unsigned update")
	for _, want := range []string{"policy bundle refused", "policy reload failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}

	// Update signed by someone else.
	d := pushBundle(t, tag, denyAll, "r3")
	sign(t, ss.certSigner(t, stranger), d, d)
	if err := e.Reload(t.Context()); !errors.Is(err, verify.ErrIdentityMismatch) {
		t.Fatalf("stranger's update: %v", err)
	}
	inForce("stranger's update")

	// Signed update.
	next := pushBundle(t, tag, denyAll, "r4")
	sign(t, ss.certSigner(t, publisher), next, next)
	if err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	dec, err := e.Evaluate(t.Context(), policy.Input{})
	if err != nil || dec.Allowed || dec.Revision != "r4@"+next.DigestStr() {
		t.Fatalf("signed update not in force: %v %v", dec, err)
	}
}

// TestRegistryDown: the registry going away keeps the policy in force.
func TestRegistryDown(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	var down atomic.Bool
	reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				// Hang up without an answer, as a dead registry does.
				if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
					c.Close()
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	tag := reg.Ref(t, "policies:live")
	d := pushBundle(t, tag, allowAll, "r1")
	sign(t, ss.certSigner(t, publisher), d, d)
	e := newEngine(t, ss.source(t, tag, publisherID))
	down.Store(true)
	if err := e.Reload(t.Context()); !errors.Is(err, ocibundle.ErrRegistry) || !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("registry down: %v, want ErrRegistry", err)
	}
	if dec, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || !dec.Allowed || dec.Revision != "r1@"+d.DigestStr() {
		t.Fatalf("policy lost with the registry: %v %v", dec, err)
	}
}

// TestUnchangedDigestIsOneRequest: a reload that finds the tag where it was
// resolves it and nothing more.
func TestUnchangedDigestIsOneRequest(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	tag := reg.Ref(t, "policies:v1")
	d := pushBundle(t, tag, allowAll, "r1")
	sign(t, ss.certSigner(t, publisher), d, d)
	c := ocitest.NewCounter()
	src := ss.source(t, tag, publisherID, ocibundle.WithTransport(c))
	first, err := src.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cold := c.Reset()
	first.Data["mutated"] = true // the caller's copy only
	second, err := src.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if warm := c.Reset(); len(warm) != 1 || !strings.HasPrefix(warm[0], "GET /v2/policies/manifests/") {
		t.Errorf("warm Load made %v, want the one manifest GET (cold: %v)", warm, cold)
	}
	if _, ok := second.Data["mutated"]; ok || second.Revision != first.Revision {
		t.Errorf("second Load shares the first's bundle: %+v", second)
	}
}

// TestReplicasReload: two engines, each with its own Source (two replicas),
// reload a new signed revision on their own, and both refuse an unsigned one
// after it.
func TestReplicasReload(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t, tsa.WithClock(steppingClock())) // one bundle per proven second
	for _, kind := range []ocitest.Kind{ocitest.GGCRReferrers, ocitest.DockerRegistry} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "policies:fleet")
			d1 := pushBundle(t, tag, allowAll, "f1")
			sign(t, ss.certSigner(t, publisher), d1, d1)
			replicas := []*policy.Engine{
				newEngine(t, ss.source(t, tag, publisherID), policy.WithReloadInterval(50*time.Millisecond)),
				newEngine(t, ss.source(t, tag, publisherID), policy.WithReloadInterval(50*time.Millisecond)),
			}
			d2 := pushBundle(t, tag, denyAll, "f2")
			sign(t, ss.certSigner(t, publisher), d2, d2)
			want := "f2@" + d2.DigestStr()
			for i, e := range replicas {
				waitFor(t, func() bool { return e.Revision() == want })
				dec, err := e.Evaluate(t.Context(), policy.Input{})
				if err != nil || dec.Allowed || dec.Revision != want {
					t.Fatalf("replica %d: %v %v", i, dec, err)
				}
			}
			pushBundle(t, tag, allowAll, "f3")
			for i, e := range replicas {
				waitFor(t, func() bool { return errors.Is(e.LastReloadError(), ocibundle.ErrUnverified) })
				if e.Revision() != want {
					t.Fatalf("replica %d activated an unsigned bundle: %s", i, e.Revision())
				}
			}
		})
	}
}

// waitFor polls cond for up to 30 s; the reloads run on their own clock.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	ss := newSigstore(t)
	ref, _ := name.ParseReference("registry.example/policies:v1")
	good := verify.Expectation{Signer: publisherID, PredicateType: predicate}
	tests := []struct {
		name   string
		ref    name.Reference
		trust  bool
		expect verify.Expectation
		opts   []ocibundle.Option
	}{
		{name: "nil reference", trust: true, expect: good},
		{name: "no signer", ref: ref, trust: true, expect: verify.Expectation{PredicateType: predicate}},
		{name: "no signer, unsafe verify option", ref: ref, trust: true, expect: verify.Expectation{PredicateType: predicate},
			opts: []ocibundle.Option{ocibundle.WithVerifyOptions(verify.WithAnySignerUnsafe())}},
		{name: "identity without issuer", ref: ref, trust: true, expect: verify.Expectation{Signer: verify.Identity{SAN: publisher}}},
		{name: "nil trust", ref: ref, expect: good},
		{name: "nil option", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{nil}},
		{name: "nil verify option", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{ocibundle.WithVerifyOptions(nil)}},
		{name: "nil logger", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{ocibundle.WithLogger(nil)}},
		{name: "nil keychain", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{ocibundle.WithKeychain(nil)}},
		{name: "nil transport", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{ocibundle.WithTransport(nil)}},
		{name: "zero timeout", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{ocibundle.WithTimeout(0)}},
		{name: "zero bundle limit", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{ocibundle.WithMaxBundleBytes(0)}},
		{name: "bundle limit above policy's", ref: ref, trust: true, expect: good, opts: []ocibundle.Option{ocibundle.WithMaxBundleBytes(policy.MaxBundleBytes + 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var trust = ss.trust
			if !tt.trust {
				trust = nil
			}
			if _, err := ocibundle.New(tt.ref, trust, tt.expect, tt.opts...); !errors.Is(err, ocibundle.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := ocibundle.New(ref, ss.trust, good, ocibundle.WithMaxBundleBytes(policy.MaxBundleBytes)); err != nil {
		t.Fatalf("valid configuration refused: %v", err)
	}
}

package tuf_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// testRepo is a TUF repository made with go-tuf's metadata API: one key per
// top-level role, consistent snapshots, one target (the trusted root). Its
// Handler serves the published files (as the public-good CDN lays them out)
// and counts requests.
type testRepo struct {
	tb testing.TB

	mu       sync.Mutex
	files    map[string][]byte // URL path without the leading slash
	requests int

	root      *metadata.Metadata[metadata.RootType]
	targets   *metadata.Metadata[metadata.TargetsType]
	snapshot  *metadata.Metadata[metadata.SnapshotType]
	timestamp *metadata.Metadata[metadata.TimestampType]
	signers   map[string]signature.Signer // current key of each role
	anchor    []byte                      // 1.root.json
}

const targetName = "trusted_root.json"

// newTestRepo publishes version 1 of every role with target as the trusted
// root, all expiring well after now.
func newTestRepo(tb testing.TB, now time.Time, target []byte) *testRepo {
	tb.Helper()
	r := &testRepo{
		tb:        tb,
		files:     map[string][]byte{},
		root:      metadata.Root(now.Add(365 * 24 * time.Hour)),
		targets:   metadata.Targets(now.Add(90 * 24 * time.Hour)),
		snapshot:  metadata.Snapshot(now.Add(30 * 24 * time.Hour)),
		timestamp: metadata.Timestamp(now.Add(7 * 24 * time.Hour)),
		signers:   map[string]signature.Signer{},
	}
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		r.setKey(role, r.newSigner())
	}
	r.signRoot(r.signers[metadata.ROOT])
	r.anchor = r.files["1.root.json"]
	r.putTarget(target)
	r.signTargets()
	r.signSnapshot()
	r.signTimestamp()
	return r
}

func (r *testRepo) newSigner() signature.Signer {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		r.tb.Fatal(err)
	}
	s, err := signature.LoadSigner(priv, crypto.Hash(0))
	if err != nil {
		r.tb.Fatal(err)
	}
	return s
}

func keyOf(tb testing.TB, s signature.Signer) *metadata.Key {
	pub, err := s.PublicKey()
	if err != nil {
		tb.Fatal(err)
	}
	k, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// setKey makes s the only key of role in root (unsigned until signRoot).
func (r *testRepo) setKey(role string, s signature.Signer) {
	if old, ok := r.signers[role]; ok {
		id, err := keyOf(r.tb, old).ID()
		if err != nil {
			r.tb.Fatal(err)
		}
		if err := r.root.Signed.RevokeKey(id, role); err != nil {
			r.tb.Fatal(err)
		}
	}
	if err := r.root.Signed.AddKey(keyOf(r.tb, s), role); err != nil {
		r.tb.Fatal(err)
	}
	r.signers[role] = s
}

func (r *testRepo) put(name string, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[name] = b
}

func (r *testRepo) bytes(m interface{ ToBytes(bool) ([]byte, error) }) []byte {
	b, err := m.ToBytes(true)
	if err != nil {
		r.tb.Fatal(err)
	}
	return b
}

// signRoot signs the root with each signer and publishes it as N.root.json.
func (r *testRepo) signRoot(signers ...signature.Signer) {
	r.root.ClearSignatures()
	for _, s := range signers {
		if _, err := r.root.Sign(s); err != nil {
			r.tb.Fatal(err)
		}
	}
	r.put(fmt.Sprintf("%d.root.json", r.root.Signed.Version), r.bytes(r.root))
}

// putTarget lists b as the trusted root target and publishes its bytes at
// the hash-prefixed path of consistent snapshots.
func (r *testRepo) putTarget(b []byte) { r.putTargetAs(targetName, b) }

// putTargetAs is putTarget for the target name (as GitHub's repository
// holds a "<trust domain>.trusted_root.json" per tenant beside its own).
func (r *testRepo) putTargetAs(name string, b []byte) {
	tf, err := metadata.TargetFile().FromBytes(name, b, "sha256")
	if err != nil {
		r.tb.Fatal(err)
	}
	r.targets.Signed.Targets[name] = tf
	sum := sha256.Sum256(b)
	r.put("targets/"+hex.EncodeToString(sum[:])+"."+name, b)
}

func (r *testRepo) signTargets() {
	r.targets.ClearSignatures()
	if _, err := r.targets.Sign(r.signers[metadata.TARGETS]); err != nil {
		r.tb.Fatal(err)
	}
	r.put(fmt.Sprintf("%d.targets.json", r.targets.Signed.Version), r.bytes(r.targets))
	r.snapshot.Signed.Meta["targets.json"] = metadata.MetaFile(r.targets.Signed.Version)
}

func (r *testRepo) signSnapshot() {
	r.snapshot.ClearSignatures()
	if _, err := r.snapshot.Sign(r.signers[metadata.SNAPSHOT]); err != nil {
		r.tb.Fatal(err)
	}
	r.put(fmt.Sprintf("%d.snapshot.json", r.snapshot.Signed.Version), r.bytes(r.snapshot))
	r.timestamp.Signed.Meta["snapshot.json"] = metadata.MetaFile(r.snapshot.Signed.Version)
}

func (r *testRepo) signTimestamp() {
	r.timestamp.ClearSignatures()
	if _, err := r.timestamp.Sign(r.signers[metadata.TIMESTAMP]); err != nil {
		r.tb.Fatal(err)
	}
	r.put("timestamp.json", r.bytes(r.timestamp))
}

// publishTarget releases b as a new trusted root: targets, snapshot and
// timestamp each gain a version.
func (r *testRepo) publishTarget(b []byte) {
	r.putTarget(b)
	r.targets.Signed.Version++
	r.signTargets()
	r.snapshot.Signed.Version++
	r.signSnapshot()
	r.timestamp.Signed.Version++
	r.signTimestamp()
}

// renewTimestamp publishes a new timestamp version expiring at expires.
func (r *testRepo) renewTimestamp(expires time.Time) {
	r.timestamp.Signed.Expires = expires
	r.timestamp.Signed.Version++
	r.signTimestamp()
}

func (r *testRepo) requestCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

func (r *testRepo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests++
	b, ok := r.files[strings.TrimPrefix(req.URL.Path, "/")]
	r.mu.Unlock()
	if !ok || req.Method != http.MethodGet {
		http.NotFound(w, req)
		return
	}
	_, _ = w.Write(b)
}

// serve starts the repository on 127.0.0.1 for the test's lifetime.
func (r *testRepo) serve(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(r)
	tb.Cleanup(srv.Close)
	return srv
}

// handlerTransport answers requests with a handler in the calling
// goroutine: no socket, so tests under testing/synctest run on its clock.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}

func metadataFile(version int64) *metadata.MetaFiles { return metadata.MetaFile(version) }

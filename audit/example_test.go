package audit_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/ztci/ztci/audit"
)

func exampleEvent(id string) audit.Event {
	return audit.Event{
		ID:       id,
		Time:     time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Source:   "ztci/secrets",
		Action:   "secrets.lease.issue",
		Outcome:  audit.OutcomeAllow,
		Actor:    audit.Actor{ID: "spiffe://example.org/ci/runner", Kind: "workload"},
		Resource: "secret:db-password",
	}
}

// A log signs checkpoints; anyone holding only its origin and public key
// verifies, offline, that an event is in the log and that the log only grew.
func Example_proofVerifiedOffline() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "audit-example") // private (0700), never a fixed name in a shared directory
	if err != nil {
		panic(err) // never fall back to the working directory
	}
	defer os.RemoveAll(dir)
	// In production the log's key comes from a KMS (OpenWithSigner) or a
	// 0600 file, never from a fixed seed: whoever knows it forges checkpoints.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	const origin = "example.com/ztci/audit/prod"

	log, err := audit.Open(ctx, filepath.Join(dir, "audit.log"), origin, key)
	if err != nil {
		panic(err)
	}
	defer func() {
		if err := log.Close(); err != nil { // a record not made durable
			panic(err)
		}
	}()
	var receipts []audit.Receipt
	for _, id := range []string{"e1", "e2", "e3"} {
		r, err := log.Append(ctx, exampleEvent(id))
		if err != nil {
			panic(err)
		}
		receipts = append(receipts, r)
	}
	old, err := log.Checkpoint(ctx)
	if err != nil {
		panic(err)
	}
	r4, err := log.Append(ctx, exampleEvent("e4"))
	if err != nil {
		panic(err)
	}
	cp, err := log.Checkpoint(ctx)
	if err != nil {
		panic(err)
	}
	incl, err := log.InclusionProof(receipts[1].Index, cp.Size)
	if err != nil {
		panic(err)
	}
	cons, err := log.ConsistencyProof(old.Size, cp.Size)
	if err != nil {
		panic(err)
	}

	// Offline, with the public key only: what travels is the signed
	// checkpoint, the entry bytes, its index and the proof hashes.
	v, err := audit.NewVerifier(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	fmt.Println("checkpoint size:", cp.Size)
	fmt.Println("e2 included:", v.Inclusion(cp, receipts[1].Index, receipts[1].Entry, incl) == nil)
	fmt.Println("e4 at index 1:", v.Inclusion(cp, 1, r4.Entry, incl) == nil)
	fmt.Println("append-only since size 3:", v.Consistency(old, cp, cons) == nil)
	// Output:
	// checkpoint size: 4
	// e2 included: true
	// e4 at index 1: false
	// append-only since size 3: true
}

// A component that knows only an event's id (e.g. from a gate's response)
// gets the event's entry and inclusion proof from the log without reading
// the file; a third party checks the proof with the public key.
func ExampleLog_Prove() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "audit-example") // private (0700), never a fixed name in a shared directory
	if err != nil {
		panic(err) // never fall back to the working directory
	}
	defer os.RemoveAll(dir)
	// In production the log's key comes from a KMS (OpenWithSigner) or a
	// 0600 file, never from a fixed seed: whoever knows it forges checkpoints.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	const origin = "example.com/ztci/audit/prod"
	log, err := audit.Open(ctx, filepath.Join(dir, "audit.log"), origin, key)
	if err != nil {
		panic(err)
	}
	defer func() {
		if err := log.Close(); err != nil {
			panic(err)
		}
	}()
	for _, id := range []string{"e1", "deploy-7f3a", "e3"} {
		if err := log.Write(ctx, exampleEvent(id)); err != nil {
			panic(err) // an action whose record failed must not proceed
		}
	}

	p, err := log.Prove(ctx, "deploy-7f3a") // signs a checkpoint if needed
	if err != nil {
		panic(err)
	}
	v, err := audit.NewVerifier(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	e, err := v.VerifyEvent(p, "deploy-7f3a")
	fmt.Println("entry", p.Index, "of", p.Checkpoint.Size, e.ID, e.Outcome, err)

	_, err = log.Lookup(ctx, "never-written")
	fmt.Println(errors.Is(err, audit.ErrEventNotFound))
	// Output:
	// entry 1 of 3 deploy-7f3a allow <nil>
	// true
}

// Verifier.Log walks a log and reports the first bad line; it returns nil
// only when a checkpoint signed by the log's key covers every entry.
func ExampleVerifier_Log() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "audit-example") // private (0700), never a fixed name in a shared directory
	if err != nil {
		panic(err) // never fall back to the working directory
	}
	defer os.RemoveAll(dir)
	// In production the log's key comes from a KMS (OpenWithSigner) or a
	// 0600 file, never from a fixed seed: whoever knows it forges checkpoints.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	const origin = "example.com/ztci/audit/prod"
	path := filepath.Join(dir, "audit.log")
	log, err := audit.Open(ctx, path, origin, key)
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"e1", "e2", "e3"} {
		if err := log.Write(ctx, exampleEvent(id)); err != nil {
			panic(err)
		}
	}
	if err := log.Close(); err != nil { // signs a final checkpoint
		panic(err)
	}

	v, err := audit.NewVerifier(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	rep, err := v.Log(ctx, f)
	f.Close()
	fmt.Println(rep.Entries, rep.Checkpoints, rep.Unsigned, err)

	// Tamper: rename the second event in the file.
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	_, err = v.Log(ctx, bytes.NewReader(bytes.Replace(b, []byte(`"id":"e2"`), []byte(`"id":"eX"`), 1)))
	var le *audit.LogError
	if errors.As(err, &le) {
		fmt.Println("line", le.Line, "entry", le.Index, errors.Is(err, audit.ErrCorruptEntry))
	}

	// Rewrite: someone without the key drops the checkpoint line. Every
	// checksum still matches, but nothing signed covers the entries.
	stripped := b[:bytes.LastIndex(b[:len(b)-1], []byte("\n"))+1]
	rep, err = v.Log(ctx, bytes.NewReader(stripped))
	fmt.Println(rep.Entries, rep.Checkpoints, errors.Is(err, audit.ErrUnanchored))
	// Output:
	// 3 1 0 <nil>
	// line 3 entry 1 true
	// 3 0 true
}

func ExampleNewHMAC() {
	key := []byte("0123456789abcdef0123456789abcdef") // a real secret in production (32 random bytes from a secrets manager), never a literal
	h, err := audit.NewHMAC(key, audit.FieldActorID)
	if err != nil {
		panic(err)
	}
	e := h.Apply(exampleEvent("e1"))
	fmt.Println(e.Actor.ID)
	fmt.Println(h) // the key never prints
	// Output:
	// hmac-sha256:5fa7b4ee55bce4f8073a51d4ecd35b081a23eae986cfd80ef05ade2eb7dc8b23
	// audit.HMAC{key:[REDACTED]}
}

func ExampleNewJSONLines() {
	s, err := audit.NewJSONLines(os.Stdout)
	if err != nil {
		panic(err)
	}
	if err := s.Write(context.Background(), exampleEvent("e1")); err != nil {
		panic(err)
	}
	// Output:
	// {"id":"e1","time":"2026-11-22T10:00:00Z","source":"ztci/secrets","action":"secrets.lease.issue","outcome":"allow","actor":{"id":"spiffe://example.org/ci/runner","kind":"workload"},"resource":"secret:db-password"}
}

func ExampleToCloudEvent() {
	ce, _ := audit.ToCloudEvent(exampleEvent("e1"))
	fmt.Println(ce.SpecVersion, ce.ID, ce.Source, ce.Type, ce.Subject)
	// Output:
	// 1.0 e1 ztci/secrets dev.ztci.audit.secrets.lease.issue secret:db-password
}

func ExampleFanOut() {
	jl, _ := audit.NewJSONLines(io.Discard)
	broken := audit.SinkFunc(func(context.Context, audit.Event) error { return fmt.Errorf("disk full") })
	err := audit.FanOut(jl, broken).Write(context.Background(), exampleEvent("e1"))
	fmt.Println(err != nil) // one failing sink fails the write: audit fails closed
	// Output:
	// true
}

func ExampleNewWebhook() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("received", r.Header.Get("Content-Type"))
	}))
	defer srv.Close()
	// Plain http to 127.0.0.1 here; in production an https endpoint:
	// audit events name who did what, and a forged acknowledgement loses them.
	wh, err := audit.NewWebhook(srv.URL, audit.WithBatch(100, 10*time.Millisecond), audit.WithBuffer(1024, audit.Reject))
	if err != nil {
		panic(err)
	}
	defer wh.Close()
	err = wh.Write(context.Background(), exampleEvent("e1")) // returns once the endpoint acknowledged
	fmt.Println("acknowledged:", err == nil)
	// Output:
	// received application/cloudevents-batch+json
	// acknowledged: true
}

func ExampleNewKillSwitch() {
	ctx := context.Background()
	auditLog, err := audit.NewJSONLines(io.Discard) // in production: the node's audit.Log
	if err != nil {
		panic(err)
	}
	ks, err := audit.NewKillSwitch(auditLog)
	if err != nil {
		panic(err)
	}
	var checker audit.CompromiseChecker = ks // give this to secrets and policy gates

	// A runtime-security detector reports a compromised runner. A mark that
	// was not recorded is an error: raise it again, or page someone.
	err = ks.Write(ctx, audit.Event{
		ID: "falco-1", Time: time.Now(), Source: "falco", Action: audit.ActionCompromiseDetected,
		Outcome: audit.OutcomeSuccess, Actor: audit.Actor{ID: "falco/runtime"},
		Reason:     "shell spawned in build container",
		Attributes: map[string]string{audit.AttrCompromisedID: "spiffe://example.org/ci/runner"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(checker.Compromised("spiffe://example.org/ci/runner"))
	fmt.Println(checker.Compromised("spiffe://example.org/ci/other"))
	// Output:
	// true
	// false
}

func ExampleNewDetector() {
	ctx := context.Background()
	out := audit.SinkFunc(func(_ context.Context, a audit.Event) error {
		fmt.Println(a.Action+":", a.Reason)
		return nil
	})
	d, err := audit.NewDetector(out, audit.WithLearning(3), audit.WithWorkingHours(8, 18, time.UTC))
	if err != nil {
		panic(err)
	}
	odd := exampleEvent("e9")
	odd.Resource = "secret:prod-signing-key"
	for _, e := range []audit.Event{exampleEvent("e0"), exampleEvent("e1"), exampleEvent("e2"), odd} {
		if err := d.Write(ctx, e); err != nil {
			panic(err)
		}
	}
	// Output:
	// audit.anomaly.first_seen: spiffe://example.org/ci/runner used action "secrets.lease.issue" on resource "secret:prod-signing-key" for the first time in 3 events
}

// A log whose checkpoints a KMS key signs: an ECDSA P-384 crypto.Signer
// here. Anyone holding the Verifier (or its signed-note verifier key)
// checks the file offline; a checkpoint signed under the same origin with
// another key or algorithm is refused.
func ExampleOpenWithSigner() {
	ctx := context.Background()
	kmsKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader) // stands for a KMS key handle
	if err != nil {
		panic(err)
	}
	signer, verifier, err := audit.NewCheckpointSigner("example.com/ztci/audit/prod", kmsKey)
	if err != nil {
		panic(err)
	}
	// A private directory: a predictable name in a shared one (/tmp) lets
	// another user create it first, or plant a symlink to a file of yours.
	dir, err := os.MkdirTemp("", "audit-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")
	l, err := audit.OpenWithSigner(ctx, path, signer, verifier)
	if err != nil {
		panic(err)
	}
	if _, err := l.Append(ctx, exampleEvent("evt-1")); err != nil {
		panic(err)
	}
	if err := l.Close(); err != nil {
		panic(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	rep, err := verifier.Log(ctx, bytes.NewReader(b))
	fmt.Println(rep.Entries, "entry, checkpoint size", rep.Latest.Size, err)
	// Output:
	// 1 entry, checkpoint size 1 <nil>
}

// A log whose checkpoint key is out of the host's reach (a KMS key behind
// OpenWithSigner; an Ed25519 key here for brevity) refuses to sign entries
// it finds after its last signed checkpoint: a crash leaves them, but so
// does whoever can write the file without the key. The operator inspects
// them, then adopts them, which the signed log records.
func ExampleWithUnsignedTail() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "audit-example") // private (0700), never a fixed name in a shared directory
	if err != nil {
		panic(err) // never fall back to the working directory
	}
	defer os.RemoveAll(dir)
	// In production the log's key comes from a KMS (OpenWithSigner) or a
	// 0600 file, never from a fixed seed: whoever knows it forges checkpoints.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	const origin = "example.com/ztci/audit/prod"
	path := filepath.Join(dir, "audit.log")
	strict := audit.WithUnsignedTail(audit.TailRefuse)

	log, err := audit.Open(ctx, path, origin, key, strict)
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"e1", "e2"} {
		if err := log.Write(ctx, exampleEvent(id)); err != nil {
			panic(err)
		}
	}
	if _, err := log.Checkpoint(ctx); err != nil {
		panic(err)
	}
	if err := log.Write(ctx, exampleEvent("e3")); err != nil { // durable, not yet signed
		panic(err)
	}
	crashed, err := os.ReadFile(path) // what a crash right now would leave
	if err != nil {
		panic(err)
	}
	log.Close()
	if err := os.WriteFile(path, crashed, 0o600); err != nil {
		panic(err)
	}

	_, err = audit.Open(ctx, path, origin, key, strict)
	var le *audit.LogError
	if errors.As(err, &le) {
		fmt.Println(errors.Is(err, audit.ErrUnanchored), "line", le.Line, "entry", le.Index)
		fmt.Println(le.Err)
	}
	after, _ := os.ReadFile(path)
	fmt.Println("file unchanged:", bytes.Equal(after, crashed))

	// The operator inspects the tail...
	v, err := audit.NewVerifier(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	rep, _ := v.Log(ctx, bytes.NewReader(crashed))
	_ = audit.ReadEntries(ctx, bytes.NewReader(crashed), func(e audit.Entry) error {
		if e.Index >= rep.Latest.Size {
			fmt.Println("unsigned:", e.Index, e.Event.ID)
		}
		return nil
	})
	// ...and adopts it: Open records the adoption and signs it.
	log, err = audit.Open(ctx, path, origin, key, audit.WithUnsignedTail(audit.TailAdopt))
	if err != nil {
		panic(err)
	}
	if err := log.Close(); err != nil {
		panic(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	rep, err = v.Log(ctx, bytes.NewReader(b))
	fmt.Println("entries", rep.Entries, "adopted", rep.Adopted, err)
	_ = audit.ReadEntries(ctx, bytes.NewReader(b), func(e audit.Entry) error {
		if e.Event.Action == audit.ActionUnsignedTailAdopted {
			a := e.Event.Attributes
			fmt.Println(e.Index, e.Event.Action, a[audit.AttrAdoptedFrom], a[audit.AttrAdoptedTo])
		}
		return nil
	})
	// Output:
	// true line 5 entry 2
	// audit: invalid log: not anchored to a signed checkpoint: unsigned tail (entry 2) after the last signed checkpoint (size 2), refused by WithUnsignedTail(TailRefuse)
	// file unchanged: true
	// unsigned: 2 e3
	// entries 4 adopted 1 <nil>
	// 3 audit.unsigned_tail_adopted 2 3
}

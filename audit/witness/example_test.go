package witness_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/witness"
)

// A node publishes its checkpoints with consistency proofs; the witness
// accepts the honest ones and flags the node once it rewrites its log.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "witness-example")
	if err != nil {
		panic(err) // never fall back to the working directory: the example removes its audit.log
	}
	defer os.RemoveAll(dir)
	// The node's signing key: from a KMS (audit.OpenWithSigner) or a 0600
	// file in production, never a fixed seed anyone can recompute.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	const origin = "example.com/ztci/audit/node-1"
	ev := func(i int, outcome audit.Outcome) audit.Event {
		return audit.Event{
			ID: fmt.Sprint("ev-", i), Time: time.Date(2026, 12, 5, 10, 0, i, 0, time.UTC), Source: "ztci/secrets",
			Action: "secrets.lease.issue", Outcome: outcome, Actor: audit.Actor{ID: "spiffe://example.org/ci/runner"},
		}
	}

	// The witness: each node's origin and public key, a store, an audit sink.
	verifier, err := audit.NewVerifier(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	trail := audittest.NewRecorder()
	w, err := witness.New([]*audit.Verifier{verifier}, witness.NewMemoryStore(), trail,
		witness.WithOnFlag(func(_ context.Context, f *witness.FlagError) error {
			fmt.Println("raise kill-switch mark on", f.Origin)
			return nil
		}))
	if err != nil {
		panic(err)
	}

	// The node appends, and submits a checkpoint with a proof from the last one.
	log, err := audit.Open(ctx, filepath.Join(dir, "audit.log"), origin, key)
	if err != nil {
		panic(err)
	}
	var prev audit.Checkpoint
	for round := range 3 {
		for i := range 4 {
			if _, err := log.Append(ctx, ev(round*4+i, audit.OutcomeAllow)); err != nil {
				panic(err)
			}
		}
		sub, cp, err := witness.Prepare(ctx, log, prev)
		if err != nil {
			panic(err)
		}
		res, err := w.Add(ctx, origin, sub.Marshal())
		fmt.Printf("size %d: accepted=%t first=%t\n", res.Checkpoint.Size, err == nil, res.First)
		prev = cp
	}
	if err := log.Close(); err != nil {
		panic(err)
	}

	// The node rewrites its log: same key, entry 5 now says "deny".
	if err := os.Remove(filepath.Join(dir, "audit.log")); err != nil {
		panic(err)
	}
	log, err = audit.Open(ctx, filepath.Join(dir, "audit.log"), origin, key)
	if err != nil {
		panic(err)
	}
	defer log.Close()
	for i := range 14 {
		outcome := audit.OutcomeAllow
		if i == 5 {
			outcome = audit.OutcomeDeny
		}
		if _, err := log.Append(ctx, ev(i, outcome)); err != nil {
			panic(err)
		}
	}
	sub, _, err := witness.Prepare(ctx, log, prev)
	if err != nil {
		panic(err)
	}
	_, err = w.Add(ctx, origin, sub.Marshal())
	fmt.Println("fork:", errors.Is(err, witness.ErrFork), "audited:", trail.Actions())
	// Output:
	// size 4: accepted=true first=true
	// size 8: accepted=true first=false
	// size 12: accepted=true first=false
	// raise kill-switch mark on example.com/ztci/audit/node-1
	// fork: true audited: [audit.witness.first_use audit.witness.fork]
}

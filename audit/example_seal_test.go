package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets/seal"
)

// Sensitive fields are sealed before the log sees the event: the Merkle tree
// and its signed checkpoints cover the sealed form, anyone holding the log's
// public key verifies it, and only the holder of the sealing key reads the
// values back.
func ExampleNewSealer() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "audit-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	kek, err := seal.GenerateKey("audit-2026-12") // or seal.New(yourKMSWrapper)
	if err != nil {
		panic(err)
	}
	env, err := seal.NewLocal(kek)
	if err != nil {
		panic(err)
	}
	sealer, err := audit.NewSealer(env, audit.FieldResource, audit.FieldAttributes+"client_ip")
	if err != nil {
		panic(err)
	}

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
	sink := sealer.Sink(log) // sealing first, then the log

	e := exampleEvent("e1")
	e.Attributes = map[string]string{"client_ip": "203.0.113.7"}
	if err := sink.Write(ctx, e); err != nil {
		panic(err) // sealing or the log failed: the audited action fails
	}

	p, err := log.Prove(ctx, "e1")
	if err != nil {
		panic(err)
	}
	v, err := audit.NewVerifier(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	logged, err := v.VerifyEvent(p, "e1")
	fmt.Println("verified:", err == nil)
	fmt.Println("logged resource sealed:", strings.HasPrefix(logged.Resource, audit.SealedPrefix))
	fmt.Println("plaintext in the log entry:", strings.Contains(string(p.Entry), "203.0.113.7"))

	opened, err := audit.Unseal(ctx, env, logged) // operators, with the key
	fmt.Println(opened.Resource, opened.Attributes["client_ip"], err)

	other, err := seal.GenerateKey("someone-else")
	if err != nil {
		panic(err)
	}
	otherEnv, err := seal.NewLocal(other)
	if err != nil {
		panic(err)
	}
	_, err = audit.Unseal(ctx, otherEnv, logged)
	fmt.Println("without the key:", errors.Is(err, seal.ErrUnknownKey))
	// Output:
	// verified: true
	// logged resource sealed: true
	// plaintext in the log entry: false
	// secret:db-password 203.0.113.7 <nil>
	// without the key: true
}

package audit_test

import (
	"context"
	"crypto/ed25519"
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
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	kek, _ := seal.GenerateKey("audit-2026-12") // or seal.New(yourKMSWrapper)
	env, _ := seal.NewLocal(kek)
	sealer, _ := audit.NewSealer(env, audit.FieldResource, audit.FieldAttributes+"client_ip")

	key := ed25519.NewKeyFromSeed(make([]byte, 32)) // use a real secret key
	const origin = "example.com/ztci/audit/prod"
	log, _ := audit.Open(ctx, filepath.Join(dir, "audit.log"), origin, key)
	defer log.Close()
	sink := sealer.Sink(log) // sealing first, then the log

	e := exampleEvent("e1")
	e.Attributes = map[string]string{"client_ip": "203.0.113.7"}
	if err := sink.Write(ctx, e); err != nil {
		panic(err) // sealing or the log failed: the audited action fails
	}

	p, _ := log.Prove(ctx, "e1")
	v, _ := audit.NewVerifier(origin, key.Public().(ed25519.PublicKey))
	logged, err := v.VerifyEvent(p, "e1")
	fmt.Println("verified:", err == nil)
	fmt.Println("logged resource sealed:", strings.HasPrefix(logged.Resource, audit.SealedPrefix))
	fmt.Println("plaintext in the log entry:", strings.Contains(string(p.Entry), "203.0.113.7"))

	opened, err := audit.Unseal(ctx, env, logged) // operators, with the key
	fmt.Println(opened.Resource, opened.Attributes["client_ip"], err)

	other, _ := seal.GenerateKey("someone-else")
	otherEnv, _ := seal.NewLocal(other)
	_, err = audit.Unseal(ctx, otherEnv, logged)
	fmt.Println("without the key:", errors.Is(err, seal.ErrUnknownKey))
	// Output:
	// verified: true
	// logged resource sealed: true
	// plaintext in the log entry: false
	// secret:db-password 203.0.113.7 <nil>
	// without the key: true
}

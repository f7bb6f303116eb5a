package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// serveDemo serves the gate over a gatetest.Lab (embedded issuer, CA, TSA,
// registry and policy): an
// image released from main and one from an unprotected branch, both
// attested, and request bodies for each written to a private directory
// (they hold job tokens, so they are files, not terminal output).
func serveDemo(ctx context.Context, o options, stderr io.Writer, ready chan<- string) (err error) {
	dir, err := os.MkdirTemp("", "ztci-gate-demo-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, lab.Close()) }()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	lg, err := audit.Open(ctx, filepath.Join(dir, "gate-audit.log"), o.origin, key)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, lg.Close()) }()
	m, err := newMetrics()
	if err != nil {
		return err
	}
	// The Lab's gate (Lab.GateWith) verifies tokens with the Lab's own
	// verifier, which accepts a token any number of times; the demo serves
	// what the command serves: its trust, policy and registry with the
	// command's token verifier, single-use unless --single-use=false.
	tokens, err := tokenVerifier(o, lab.IssuerURL(), gatetest.Audience, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	vs, err := lab.Verifiers(true)
	if err != nil {
		return err
	}
	engine, err := lab.Policy(ctx)
	if err != nil {
		return err
	}
	defer engine.Close()
	g, err := gate.New(tokens, vs, engine, lg, gate.WithRegistries(lab.Registry()),
		gate.WithLimits(gate.Limits{MaxBody: o.maxBody, MaxInFlight: o.maxInFlight, MaxInFlightPerJob: o.maxInFlightPerJob, Timeout: o.timeout}), gate.WithObserver(m))
	if err != nil {
		return err
	}
	for _, r := range []struct {
		file, ref, tag string
		protected      bool
	}{
		{file: "allow.json", ref: "refs/heads/main", tag: "v1", protected: true},
		{file: "deny.json", ref: "refs/heads/feature/unreviewed", tag: "feature-unreviewed"},
	} {
		pub, err := lab.Publish(ctx, gatetest.Job{Ref: r.ref, Protected: r.protected}, r.tag)
		if err != nil {
			return err
		}
		tok, err := lab.Token(ctx, gatetest.Job{Ref: r.ref, Protected: r.protected})
		if err != nil {
			return err
		}
		b, err := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: pub.Image})
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, r.file), b, 0o600); err != nil {
			return err
		}
	}
	addrc := make(chan string, 2)
	go func() {
		addr, ok := <-addrc
		if !ok {
			return
		}
		base := o.scheme() + "://" + addr
		fmt.Fprintf(stderr, "gate demo on %s (job tokens valid 10 minutes, each accepted once: a second curl of a file gets 401; Ctrl-C stops)\n", base)
		for _, f := range []string{"allow.json", "deny.json"} {
			fmt.Fprintf(stderr, "  curl -s -H 'Content-Type: application/json' --data @%s %s%s\n", filepath.Join(dir, f), base, gate.PathAdmit)
		}
		if ready != nil {
			ready <- addr
		}
		if o.metricsAddr == "" {
			return
		}
		if addr, ok = <-addrc; !ok {
			return
		}
		fmt.Fprintf(stderr, "  curl -s http://%s%s\n", addr, pathMetrics)
		if ready != nil {
			ready <- addr
		}
	}()
	defer close(addrc)
	return listenAndServe(ctx, o, g.Handler(), m.handler(), addrc)
}

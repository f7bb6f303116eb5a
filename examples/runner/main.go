// Command runner runs one CI job the zero-trust way, on embedded defaults,
// and tells you what happened step by step:
//
//	go run ./examples/runner
//
// The job gets a verified identity (OIDC job token, X.509-SVID), a policy
// decides which secrets it may lease (the value is masked in its log), it
// builds an image into an in-process OCI registry, attests it (SLSA
// provenance, a CycloneDX SBOM and secrets provenance — which leases the job
// received, never their values — with a short-lived certificate and an RFC
// 3161 timestamp), and a deploy gate verifies and evaluates it before its
// leases are revoked; the admitted deploy's compliance report (the NIST
// SSDF, SLSA build and PCI DSS 6 controls it passed, from
// policy/compliance) is summarized and written as OSCAL assessment results
// beside the audit log, and the gate's admission index (attest/inventory)
// answers where a module below its fixed version is deployed. A job from an
// unprotected branch, the release build
// once its lease is marked compromised, and a re-pushed (modified) image are
// then denied with their reasons, and the tamper-evident audit log is
// verified offline with an inclusion proof.
//
// Flags point pieces at real services; --json prints a machine-readable
// summary instead of the progress: the JSON form of Summary (flow.go), whose
// field names are kept stable, with lease ids but never a secret value or a
// token. env.go starts the embedded services (or connects to real ones),
// flow.go runs the jobs over the SDK's public packages, progress.go prints;
// examples/walkthrough is the same path without the narration and the
// options, in under 100 lines of glue (not counting blank lines, comments
// and its prints; its TestGlueLines counts them).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h and --help are a request, not a mistake.
	case err != nil:
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(2)
	}
}

// defaultIssuerAddr is a fixed port: the issuer's URL is part of the
// policy's data (the trusted signer's issuer), so a random port would give
// every run another policy revision for the same policy.
const defaultIssuerAddr = "127.0.0.1:8747"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg    Config
		asJSON bool
	)
	fs.BoolVar(&asJSON, "json", false, "print a machine-readable JSON summary instead of the progress")
	fs.StringVar(&cfg.Services.SPIFFESocket, "spiffe-socket", "", "SPIFFE Workload API address (unix:///path) for the job's X.509-SVID (SPIRE agent)")
	fs.StringVar(&cfg.Services.Registry, "registry", "", "push to this registry repository (host[:port]/repo) instead of the in-process one")
	fs.StringVar(&cfg.Services.Fulcio, "fulcio", "", "Fulcio base URL for signing certificates (it must trust --issuer-addr's issuer, and log to a CT log in --trusted-root); needs --trusted-root")
	fs.StringVar(&cfg.Services.Rekor, "rekor", "", "Rekor v2 base URL to log every signature; needs --trusted-root")
	fs.StringVar(&cfg.Services.TSA, "tsa", "", "RFC 3161 timestamp URL (…/api/v1/timestamp) instead of the embedded TSA; needs --trusted-root")
	fs.StringVar(&cfg.Services.TrustedRoot, "trusted-root", "", "trusted_root.json for --fulcio/--rekor/--tsa (trusted besides the embedded CA and TSA)")
	fs.StringVar(&cfg.Services.Vault, "vault", "", "Vault/OpenBao address: the job logs in with its OIDC token (JWT auth) and reads its secret there; broker token from VAULT_TOKEN (VAULT_SKIP_VERIFY and a VAULT_AGENT_ADDR elsewhere are refused)")
	fs.StringVar(&cfg.Services.VaultRole, "vault-role", "ci", "Vault JWT auth role (bound_audiences must include ztci-runner)")
	fs.StringVar(&cfg.Services.VaultKV, "vault-kv", "secret/ci/deploy#token", "Vault KV v2 location of the deploy secret: mount/path#field")
	fs.StringVar(&cfg.Services.IssuerAddr, "issuer-addr", defaultIssuerAddr, "loopback address of the embedded OIDC issuer (127.0.0.1:0 for any free port)")
	fs.StringVar(&cfg.Dir, "dir", "", "keep the audit log and lease journal in this directory, created 0700 (one group or others may write, another user's, or a symbolic link is refused; default: a temporary one, removed)")
	fs.DurationVar(&cfg.JobTimeout, "job-timeout", 10*time.Minute, "each job's deadline (never past its job token's expiry): its leases are revoked then")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.JobTimeout < 0 {
		return fmt.Errorf("%w: --job-timeout %v is negative", ErrConfig, cfg.JobTimeout)
	}
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return err
		}
	}
	if !asJSON {
		cfg.Out = stdout
	}
	sum, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	return nil
}

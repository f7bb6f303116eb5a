// Command conformance implements the sigstore-conformance client protocol
// (https://github.com/sigstore/sigstore-conformance/blob/main/docs/cli_protocol.md)
// on top of ztci's verify and attest packages, so the upstream suite — or
// anyone's copy of it — can drive this SDK:
//
//	conformance verify-bundle [--staging] --bundle F --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root F] FILE_OR_DIGEST
//	conformance verify-bundle [--staging] --bundle F --key PUBKEY.pem [--trusted-root F] FILE_OR_DIGEST
//	conformance sign-bundle [--staging] [--in-toto] --identity-token T --bundle OUT [--trusted-root F] [--signing-config F] FILE
//
// The exit code is the result: 0 verified (or signed), 1 not, 2 usage.
//
// verify-bundle is fully offline: without --trusted-root it uses the
// embedded public-good snapshot (verify.PublicGood), or with --staging the
// staging snapshot embedded here. FILE_OR_DIGEST is "sha256:<64 hex>" when
// it parses as such and is not a file on disk, otherwise a path.
//
// sign-bundle signs with attest's embedded CA and RFC 3161 TSA, kept in
// $ZTCI_CONFORMANCE_DIR (default: <user cache dir>/ztci-conformance), and
// writes the matching trusted_root.json there, so verify-bundle
// --trusted-root DIR/trusted_root.json checks what it signed. The embedded
// CA is a local test CA: it certifies the identity in the token's claims
// (iss, and email or sub) WITHOUT verifying the token, which is acceptable
// only because nothing but this local trusted root trusts it. The
// --staging, --trusted-root and --signing-config flags are accepted and
// ignored for signing (there is no Fulcio or Rekor involved). Without
// --in-toto the file is wrapped in a statement whose only subject is the
// file (predicate type PredicateBlob), so verifying with the file path or
// its digest works as the protocol expects.
package main

import (
	"context"
	_ "embed" // staging trusted root
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
)

// stagingRoot is sigstore-python@27db13d's pinned staging trusted root
// (2026-08-19), _store/https%3A%2F%2Ftuf-repo-cdn.sigstage.dev/trusted_root.json.
//
//go:embed trusted_root_staging.json
var stagingRoot []byte

// PredicateBlob is the predicate type sign-bundle uses for a plain file.
const PredicateBlob = "https://ztci.dev/conformance/blob/v1"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: conformance verify-bundle|sign-bundle ...")
		return 2
	}
	flags, pos, err := parseArgs(args[1:])
	if err != nil || len(pos) != 1 {
		fmt.Fprintf(stderr, "usage error: %v (positional %q)\n", err, pos)
		return 2
	}
	switch args[0] {
	case "verify-bundle":
		res, err := verifyBundle(ctx, flags, pos[0])
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprint(stdout, res)
		return 0
	case "sign-bundle":
		if err := signBundle(ctx, flags, pos[0]); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "unknown subcommand %q\n", args[0])
	return 2
}

// parseArgs reads "--flag value" and boolean "--staging"/"--in-toto".
func parseArgs(args []string) (map[string]string, []string, error) {
	flags := map[string]string{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--staging" || a == "--in-toto":
			flags[a] = "true"
		case strings.HasPrefix(a, "--"):
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("flag %s needs a value", a)
			}
			flags[a] = args[i+1]
			i++
		default:
			pos = append(pos, a)
		}
	}
	return flags, pos, nil
}

func verifyBundle(ctx context.Context, flags map[string]string, target string) (*verify.Result, error) {
	var trust root.TrustedMaterial
	var err error
	switch {
	case flags["--trusted-root"] != "":
		trust, err = verify.LoadTrustedRoot(flags["--trusted-root"])
	case flags["--staging"] != "":
		trust, err = verify.ParseTrustedRoot(stagingRoot)
	default:
		trust, err = verify.PublicGood()
	}
	if err != nil {
		return nil, err
	}
	var expect verify.Expectation
	if keyPath := flags["--key"]; keyPath != "" {
		b, err := os.ReadFile(keyPath)
		if err != nil {
			return nil, err
		}
		if expect.Signer, err = verify.ParsePublicKeyPEM(b); err != nil {
			return nil, err
		}
	} else {
		expect.Signer = verify.Identity{SAN: flags["--certificate-identity"], Issuer: flags["--certificate-oidc-issuer"]}
	}
	// The protocol names no predicate type: any statement is accepted, its
	// subject must still be the artifact. NOT FOR A GATE: a verifier that
	// decides anything names the predicate type it relies on
	// (Expectation.PredicateType), or an SBOM signed by the release
	// workflow passes where its provenance is required.
	opts := []verify.Option{verify.WithAnyPredicateTypeUnsafe()}
	// A private root without a transparency log or CT log (such as the one
	// sign-bundle writes) cannot prove log inclusion or SCTs: then a signed
	// timestamp from one of its TSAs must prove the time instead. The
	// protocol lets the root decide; a service fixes its thresholds in its
	// own configuration, so that a root swapped for one without logs
	// cannot lower them.
	if len(trust.RekorLogs()) == 0 {
		opts = append(opts, verify.WithTlogThreshold(0), verify.WithSignedTimestampThreshold(1))
	}
	if len(trust.CTLogs()) == 0 {
		opts = append(opts, verify.WithSCTThreshold(0))
	}
	v, err := verify.New(trust, expect, opts...)
	if err != nil {
		return nil, err
	}
	bundleJSON, err := os.ReadFile(flags["--bundle"])
	if err != nil {
		return nil, err
	}
	var art verify.Artifact
	if _, statErr := os.Stat(target); statErr != nil && sha256Digest.MatchString(target) {
		if art, err = verify.ParseArtifactDigest(target); err != nil {
			return nil, err
		}
	} else {
		f, err := os.Open(target)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		art = verify.ArtifactReader(f)
	}
	return v.Verify(ctx, bundleJSON, art)
}

func stateDir() (string, error) {
	if d := os.Getenv("ZTCI_CONFORMANCE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "ztci-conformance"), nil
}

// tokenIdentity reads (without verifying, see the package doc) the issuer
// and subject of an OIDC token.
func tokenIdentity(tok string) (identity.Identity, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return identity.Identity{}, errors.New("identity token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return identity.Identity{}, fmt.Errorf("identity token payload: %w", err)
	}
	var c struct {
		Iss   string `json:"iss"`
		Sub   string `json:"sub"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return identity.Identity{}, fmt.Errorf("identity token claims: %w", err)
	}
	subject := c.Email
	if subject == "" {
		subject = c.Sub
	}
	if c.Iss == "" || subject == "" {
		return identity.Identity{}, errors.New("identity token needs iss and email or sub")
	}
	return identity.Identity{Issuer: c.Iss, Subject: subject}, nil
}

// subjectDomain lets id's issuer certify its own subject's domain. The
// suite is this harness's trust root: it hands over the token to sign as,
// which is not verified either, so the token speaks for its subject.
func subjectDomain(id identity.Identity) []ca.Option {
	if u, err := url.Parse(id.Subject); err == nil && u.Host != "" {
		return []ca.Option{ca.WithSubjectDomain(id.Issuer, u.Scheme+"://"+u.Host)}
	}
	return nil
}

func signBundle(ctx context.Context, flags map[string]string, file string) error {
	id, err := tokenIdentity(flags["--identity-token"])
	if err != nil {
		return err
	}
	dir, err := stateDir()
	if err != nil {
		return err
	}
	c, err := ca.New(append(subjectDomain(id), ca.WithDir(filepath.Join(dir, "ca")))...)
	if err != nil {
		return err
	}
	a, err := tsa.New(tsa.WithDir(filepath.Join(dir, "tsa")))
	if err != nil {
		return err
	}
	if err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.ztci.invalid", c).AddEmbeddedTSA("https://tsa.ztci.invalid", a).WriteFile(filepath.Join(dir, "trusted_root.json")); err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var st *attest.Statement
	if flags["--in-toto"] != "" {
		if st, err = attest.ParseStatement(data); err != nil {
			return err
		}
	} else {
		sub, err := attest.SubjectFromReader(ctx, filepath.Base(file), strings.NewReader(string(data)))
		if err != nil {
			return err
		}
		if st, err = attest.NewStatement([]attest.ResourceDescriptor{sub}, attest.Custom(PredicateBlob, []byte(`{}`))); err != nil {
			return err
		}
	}
	s, err := attest.NewCASigner(c.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(a.Handler()))
	if err != nil {
		return err
	}
	b, err := attest.Sign(ctx, s, st)
	if err != nil {
		return err
	}
	return os.WriteFile(flags["--bundle"], b, 0o644)
}

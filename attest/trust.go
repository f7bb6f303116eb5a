package attest

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
)

// ErrTrustedRoot: a trusted root cannot be assembled from its parts.
var ErrTrustedRoot = errors.New("attest: invalid trusted root")

// TrustedRoot assembles a Sigstore trusted_root.json (media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1) from the
// certificate authorities, timestamp authorities and transparency logs a
// verifier should trust. sigstore-go's root.NewTrustedRootFromJSON, cosign
// --trusted-root and gh attestation verify --custom-trusted-root load it.
// It is not safe for concurrent use.
type TrustedRoot struct {
	cas   []root.CertificateAuthority
	tsas  []root.TimestampingAuthority
	tlogs map[string]*root.TransparencyLog
	err   error
}

// NewTrustedRoot returns an empty trusted root.
func NewTrustedRoot() *TrustedRoot {
	return &TrustedRoot{tlogs: map[string]*root.TransparencyLog{}}
}

// AddCertificateAuthority trusts a certificate-issuing chain (leaf-most
// intermediate first, root last) for certificates issued in [start, end); a
// zero end means still active. uri names the CA (informational).
func (t *TrustedRoot) AddCertificateAuthority(uri string, chain []*x509.Certificate, start, end time.Time) *TrustedRoot {
	if len(chain) == 0 {
		t.fail(fmt.Errorf("%w: certificate authority %q without certificates", ErrTrustedRoot, uri))
		return t
	}
	t.cas = append(t.cas, &root.FulcioCertificateAuthority{
		Root:                chain[len(chain)-1],
		Intermediates:       chain[:len(chain)-1],
		ValidityPeriodStart: start,
		ValidityPeriodEnd:   end,
		URI:                 uri,
	})
	return t
}

// AddTimestampAuthority trusts an RFC 3161 signing chain (leaf first, root
// last) for timestamps made in [start, end); a zero end means still active.
func (t *TrustedRoot) AddTimestampAuthority(uri string, chain []*x509.Certificate, start, end time.Time) *TrustedRoot {
	if len(chain) < 2 {
		t.fail(fmt.Errorf("%w: timestamp authority %q needs a leaf and a root", ErrTrustedRoot, uri))
		return t
	}
	t.tsas = append(t.tsas, &root.SigstoreTimestampingAuthority{
		Leaf:                chain[0],
		Intermediates:       chain[1 : len(chain)-1],
		Root:                chain[len(chain)-1],
		ValidityPeriodStart: start,
		ValidityPeriodEnd:   end,
		URI:                 uri,
	})
	return t
}

// AddTransparencyLog trusts a Rekor log by its public key from start.
// version is the Rekor API version: 1 (log ID = SHA-256 of the PKIX key) or
// 2 (log ID as rekor-tiles computes it, from the key and the checkpoint
// origin). For Rekor v2, baseURL's host name must be the log's checkpoint
// origin (rekor-tiles' --hostname): verifiers check checkpoints against it.
func (t *TrustedRoot) AddTransparencyLog(baseURL string, version uint32, pub crypto.PublicKey, start time.Time) *TrustedRoot {
	var id []byte
	switch version {
	case 1:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.fail(fmt.Errorf("%w: transparency log %q: %w", ErrTrustedRoot, baseURL, err))
			return t
		}
		sum := sha256.Sum256(der)
		id = sum[:]
	case 2:
		u, err := url.Parse(baseURL)
		if err != nil || u.Hostname() == "" {
			t.fail(fmt.Errorf("%w: transparency log %q: base URL needs a host name", ErrTrustedRoot, baseURL))
			return t
		}
		_, id, err = note.KeyHash(u.Hostname(), pub)
		if err != nil {
			t.fail(fmt.Errorf("%w: transparency log %q: %w", ErrTrustedRoot, baseURL, err))
			return t
		}
	default:
		t.fail(fmt.Errorf("%w: transparency log %q: Rekor API version %d, want 1 or 2", ErrTrustedRoot, baseURL, version))
		return t
	}
	t.tlogs[hex.EncodeToString(id)] = &root.TransparencyLog{
		BaseURL:             baseURL,
		ID:                  id,
		ValidityPeriodStart: start,
		HashFunc:            crypto.SHA256,
		PublicKey:           pub,
		SignatureHashFunc:   crypto.SHA256, // Rekor keys: ECDSA P-256 or Ed25519
	}
	return t
}

// AddEmbeddedCA trusts every root of c (current and retired), each for the
// period it issued in.
func (t *TrustedRoot) AddEmbeddedCA(uri string, c *ca.CA) *TrustedRoot {
	for _, r := range c.Roots() {
		t.AddCertificateAuthority(uri, []*x509.Certificate{r.Cert}, r.Start, r.End)
	}
	return t
}

// AddEmbeddedTSA trusts every signing chain of a (current and retired), each
// for the period it signed in.
func (t *TrustedRoot) AddEmbeddedTSA(uri string, a *tsa.TSA) *TrustedRoot {
	for _, au := range a.Authorities() {
		t.AddTimestampAuthority(uri, au.Chain, au.Start, au.End)
	}
	return t
}

func (t *TrustedRoot) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// MarshalJSON returns the trusted_root.json document.
func (t *TrustedRoot) MarshalJSON() ([]byte, error) {
	if t.err != nil {
		return nil, t.err
	}
	if len(t.cas) == 0 && len(t.tsas) == 0 && len(t.tlogs) == 0 {
		return nil, fmt.Errorf("%w: nothing to trust", ErrTrustedRoot)
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, t.cas, nil, t.tsas, t.tlogs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTrustedRoot, err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTrustedRoot, err)
	}
	return b, nil
}

// WriteFile writes the trusted_root.json document to path (mode 0644: it is
// public).
func (t *TrustedRoot) WriteFile(path string) error {
	b, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

package svid

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/redact"
)

// Defaults and limits of the issuer.
const (
	DefaultX509TTL = time.Hour
	DefaultJWTTTL  = 5 * time.Minute
	DefaultCATTL   = 24 * time.Hour
	MaxSVIDTTL     = 24 * time.Hour
	// MaxIDLength is the longest SPIFFE ID, in bytes of its URI form, that
	// the SPIFFE ID specification (§2.3) allows; longer IDs are not issued.
	MaxIDLength = 2048
	// backdate is subtracted from NotBefore to absorb clock skew.
	backdate = 30 * time.Second
)

// Errors.
var (
	// ErrConfig: invalid constructor argument or option.
	ErrConfig = errors.New("svid: invalid configuration")
	// ErrID: the SPIFFE ID is not in the issuer's trust domain or names the
	// trust domain itself (an SVID needs a non-root path).
	ErrID = errors.New("svid: SPIFFE ID not issuable")
	// ErrIDTooLong: the SPIFFE ID is longer than [MaxIDLength] bytes. It
	// wraps [ErrID].
	ErrIDTooLong = fmt.Errorf("%w: longer than %d bytes", ErrID, MaxIDLength)
	// ErrRootID: the SPIFFE ID is a trust domain's own ID (no path), which
	// names no workload. It wraps [ErrID].
	ErrRootID = fmt.Errorf("%w: a trust domain ID, not a workload's", ErrID)
	// ErrIssue: signing failed, or the issuance could not be audited.
	ErrIssue = errors.New("svid: issuance failed")
)

// URIError reports a SPIFFE ID that is valid but that Go's crypto/x509
// cannot carry in a certificate's URI SAN (for example a trust domain with a
// trailing dot, which x509 rejects as an invalid domain).
type URIError struct {
	ID  string
	Err error
}

func (e *URIError) Error() string {
	return fmt.Sprintf("%v: %q cannot be encoded in an X.509 URI SAN: %v", ErrConfig, e.ID, e.Err)
}

func (e *URIError) Unwrap() error { return ErrConfig }

// IDError reports a SPIFFE ID the issuer refuses.
type IDError struct {
	ID          string
	TrustDomain string
}

func (e *IDError) Error() string {
	return fmt.Sprintf("%v: %q is not a workload ID in trust domain %q", ErrID, e.ID, e.TrustDomain)
}

func (e *IDError) Unwrap() error { return ErrID }

// Option configures an [Issuer].
type Option func(*config) error

type config struct {
	now     func() time.Time
	x509TTL time.Duration
	jwtTTL  time.Duration
	caTTL   time.Duration
	sink    audit.Sink
	masker  identity.Masker // WithMasker; nil: none
	logger  *slog.Logger
	ca      crypto.Signer // WithCASigner; nil: a fresh P-256 key
	pathLen int           // WithCAPathLen; 0: the CA signs only leaves

	jwtSigner crypto.Signer // WithJWTSigner; nil: a fresh P-256 key
	jwtKID    string        // WithJWTSigner
	store     oidc.KeyStore // WithJWTKeyStore; nil: one replica

	jwtChecks // the JWT-SVID checks of a verifier (WithMultipleAudiences also the issuer's)
}

// jwtChecks are what the options of a JWT-SVID verifier ([NewJWTVerifier],
// [ParseAndValidateJWT]) set; any other option is an issuer's.
type jwtChecks struct {
	multiAud    bool          // WithMultipleAudiences (Issuer and verifiers)
	maxLifetime time.Duration // WithMaxJWTLifetime (verifiers only); 0: not set
}

// ErrMultipleAudiences: a JWT-SVID for more than one audience, which any
// of them could replay at the others, minted or presented without
// [WithMultipleAudiences]. From [Issuer.JWTSVID] it comes wrapped together
// with [ErrConfig]; from a [JWTVerifier] or [ParseAndValidateJWT],
// together with [ErrInvalidSVID].
var ErrMultipleAudiences = errors.New("svid: JWT-SVID for several audiences")

// WithMultipleAudiences allows JWT-SVIDs for more than one audience, which
// the JWT-SVID specification (§3) strongly recommends against: every
// audience of such a token holds a bearer credential it can present to the
// others, so a token for [vault, gate] lets Vault act as the workload at
// the gate. Without it, [Issuer.JWTSVID] refuses several audiences and a
// [JWTVerifier] or [ParseAndValidateJWT] refuses a JWT-SVID whose aud lists
// any audience besides those expected ([ErrMultipleAudiences]);
// identity/exchange and identity/workload follow the issuer's choice.
// Prefer one JWT-SVID per audience; use this only where every audience
// trusts the others not to replay. Issuer and verifiers ([NewJWTVerifier],
// [ParseAndValidateJWT]).
func WithMultipleAudiences() Option {
	return func(c *config) error {
		c.multiAud = true
		return nil
	}
}

// WithClock sets the time source (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithX509TTL sets the X.509-SVID lifetime (default 1h, at most 24h).
func WithX509TTL(d time.Duration) Option {
	return ttlOption(&d, func(c *config) *time.Duration { return &c.x509TTL })
}

// WithJWTTTL sets the JWT-SVID lifetime (default 5m, at most 24h).
func WithJWTTTL(d time.Duration) Option {
	return ttlOption(&d, func(c *config) *time.Duration { return &c.jwtTTL })
}

// WithCATTL sets the lifetime of the issuer's self-signed CA (default 24h);
// SVIDs never outlive it.
func WithCATTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > 365*24*time.Hour {
			return fmt.Errorf("%w: CA TTL %v", ErrConfig, d)
		}
		c.caTTL = d
		return nil
	}
}

func ttlOption(d *time.Duration, field func(*config) *time.Duration) Option {
	return func(c *config) error {
		if *d <= 0 || *d > MaxSVIDTTL {
			return fmt.Errorf("%w: SVID TTL %v outside (0, %v]", ErrConfig, *d, MaxSVIDTTL)
		}
		*field(c) = *d
		return nil
	}
}

// WithAudit writes an audit event for every SVID issued (SPIFFE ID, serial
// or jti, expiry; never keys or tokens). If the sink fails, no SVID is
// returned.
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return fmt.Errorf("%w: nil audit sink", ErrConfig)
		}
		c.sink = sink
		return nil
	}
}

// WithMasker registers every JWT-SVID the issuer signs with m before
// JWTSVID returns it — through identity/exchange and the Workload API too —
// as an oidc.Issuer registers the job tokens it mints: a JWT-SVID is a
// bearer credential, and a job that prints it (a debug line, a failing
// curl -v) must not put it in the log the redactor scrubs. X.509-SVIDs'
// private keys never leave the workload's response and are not registered.
func WithMasker(m identity.Masker) Option {
	return func(c *config) error {
		if m == nil {
			return fmt.Errorf("%w: nil masker", ErrConfig)
		}
		c.masker = m
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// WithCASigner makes the X.509 CA sign with s (a KMS or HSM key, or any
// in-process key) instead of a fresh in-memory P-256 key; the issuer calls
// only s.Public and s.Sign. The certificate signature algorithm follows the
// key: ECDSA P-256 (ecdsa-with-SHA256), P-384 (ecdsa-with-SHA384), Ed25519,
// or RSA of at least 2048 bits, signed with RSA-PSS (SHA-256). Any other
// key, or a Signer whose self-signed CA certificate does not verify under
// its Public(), is refused with [ErrConfig]. X.509-SVID leaves keep fresh
// P-256 keys and JWT-SVIDs ES256. Because the CA's subject and key (and so
// its subject key id) stay the same, X.509-SVIDs issued before a restart
// with the same Signer chain to the new CA certificate.
func WithCASigner(s crypto.Signer) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil CA signer", ErrConfig)
		}
		if _, err := caSignatureAlgorithm(s.Public()); err != nil {
			return err
		}
		c.ca = s
		return nil
	}
}

// caSignatureAlgorithm is the certificate signature algorithm for a CA key.
func caSignatureAlgorithm(pub crypto.PublicKey) (x509.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return x509.ECDSAWithSHA256, nil
		case elliptic.P384():
			return x509.ECDSAWithSHA384, nil
		}
	case ed25519.PublicKey:
		return x509.PureEd25519, nil
	case *rsa.PublicKey:
		if k.N.BitLen() >= 2048 {
			return x509.SHA256WithRSAPSS, nil
		}
	}
	return x509.UnknownSignatureAlgorithm, fmt.Errorf("%w: CA key %T (or its size) unsupported: use ECDSA P-256 or P-384, Ed25519, or RSA of at least 2048 bits", ErrConfig, pub)
}

// Issuer is an embedded SPIFFE CA for one trust domain: it signs short-lived
// X.509-SVIDs and JWT-SVIDs for jobs and publishes the matching bundles. Its
// keys live only in memory, unless the CA or JWT key is a caller's Signer
// ([WithCASigner], [WithJWTSigner]) or the CA is exported for a downstream
// SPIFFE server ([Issuer.ExportCA]). With [WithJWTKeyStore] its replicas
// share their JWT-SVID keys. It is safe for concurrent use and starts no
// goroutine.
//
// Issuer implements x509bundle.Source and jwtbundle.Source for its own trust
// domain, so it can be handed directly to go-spiffe's tlsconfig and
// jwtsvid.ParseAndValidate.
type Issuer struct {
	td     spiffeid.TrustDomain
	cfg    config
	caKey  crypto.Signer
	caCert *x509.Certificate
	x509   *x509bundle.Bundle

	jmu        sync.RWMutex
	jwtActive  *jwtKey              // signs JWT-SVIDs
	jwtRetired []*jwtKey            // rotated out, kept in the bundle until retireUntil
	jwtRevoked map[string]time.Time // kid -> until when no bundle holds it (jwtrevoke.go)

	jmaint      sync.Mutex // serializes publishing and rotation (jwtkeys.go)
	pubFailedAt time.Time  // when a publish last failed; guarded by jmaint
	pubErr      error      // why; guarded by jmaint

	fleetKeys validatedKeys // fleet records already checked (jwtkeys.go)

	nsmu       sync.Mutex
	namespaces map[string]string // ID path prefix -> its owner (namespace.go); guarded by nsmu
}

// NewIssuer creates a CA for td with fresh P-256 keys (or the CA key of
// [WithCASigner]): a self-signed X.509 authority (path length 0: it signs
// only leaves, unless [WithCAPathLen]) and a JWT signing key.
func NewIssuer(td spiffeid.TrustDomain, opts ...Option) (*Issuer, error) {
	if td.IsZero() {
		return nil, fmt.Errorf("%w: empty trust domain", ErrConfig)
	}
	cfg := config{now: time.Now, x509TTL: DefaultX509TTL, jwtTTL: DefaultJWTTTL, caTTL: DefaultCATTL, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
		if cfg.maxLifetime != 0 {
			return nil, fmt.Errorf("%w: WithMaxJWTLifetime is a verifier's option; the issuer's is WithJWTTTL", ErrConfig)
		}
	}
	caKey := cfg.ca
	if caKey == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("%w: CA key: %v", ErrIssue, err)
		}
		caKey = k
	}
	sigAlg, err := caSignatureAlgorithm(caKey.Public())
	if err != nil {
		return nil, err
	}
	now := cfg.now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{Organization: []string{"ztci"}, CommonName: "ztci SVID CA " + td.Name()},
		URIs:                  []*url.URL{td.ID().URL()},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(cfg.caTTL),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            cfg.pathLen,
		MaxPathLenZero:        cfg.pathLen == 0,
		SignatureAlgorithm:    sigAlg,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, caKey.Public(), caKey)
	if err != nil && cfg.ca != nil {
		// crypto/x509 verifies the signature it got: a Signer whose
		// Public() is not its key fails here.
		return nil, fmt.Errorf("%w: CA certificate with the caller's signer: %v", ErrConfig, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: CA certificate: %v", ErrIssue, err)
	}
	caCert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &URIError{ID: td.IDString(), Err: err}
	}
	jk, err := newJWTKey(cfg.jwtSigner, cfg.jwtKID)
	if err != nil {
		return nil, err
	}
	jk.notBefore = now
	return &Issuer{
		td: td, cfg: cfg, caKey: caKey, caCert: caCert, jwtActive: jk,
		x509:      x509bundle.FromX509Authorities(td, []*x509.Certificate{caCert}),
		fleetKeys: validatedKeys{seen: map[string]oidc.PublishedKey{}},
	}, nil
}

// TrustDomain returns the issuer's trust domain.
func (i *Issuer) TrustDomain() spiffeid.TrustDomain { return i.td }

// X509Bundle returns the X.509 bundle (the CA certificate). The caller must
// not modify it.
func (i *Issuer) X509Bundle() *x509bundle.Bundle { return i.x509 }

// GetX509BundleForTrustDomain implements x509bundle.Source.
func (i *Issuer) GetX509BundleForTrustDomain(td spiffeid.TrustDomain) (*x509bundle.Bundle, error) {
	return i.x509.GetX509BundleForTrustDomain(td)
}

func (i *Issuer) checkID(id spiffeid.ID) error {
	if id.IsZero() || id.TrustDomain() != i.td || id.Path() == "" {
		return &IDError{ID: id.String(), TrustDomain: i.td.Name()}
	}
	return CheckIDLength(id)
}

// CheckIDLength returns an error wrapping [ErrIDTooLong] when id is longer
// than [MaxIDLength] bytes (go-spiffe's spiffeid parses longer IDs).
func CheckIDLength(id spiffeid.ID) error {
	if n := len(id.String()); n > MaxIDLength {
		return fmt.Errorf("%w: %d bytes (%.64s...)", ErrIDTooLong, n, id.String())
	}
	return nil
}

// CheckPeerID returns an error wrapping [ErrID] unless id may identify an
// authenticated workload: it refuses the zero ID, a trust domain's own ID
// ([ErrRootID]) and an ID longer than [MaxIDLength] bytes
// ([ErrIDTooLong]). go-spiffe's x509svid.Verify and jwtsvid parse all
// three, but the X509-SVID specification (§3.1, §5.2) says a leaf's SPIFFE
// ID MUST have a non-root path and that validators MUST check it, and the
// JWT-SVID sub names "the workload": an authorizer that admits a trust
// domain's members (spiffeid.MatchMemberOf) would admit "spiffe://td"
// itself, an ID no conforming issuer (this one included) signs.
func CheckPeerID(id spiffeid.ID) error {
	switch {
	case id.IsZero():
		return fmt.Errorf("%w: empty SPIFFE ID", ErrID)
	case id.Path() == "":
		return fmt.Errorf("%w: %q", ErrRootID, id.String())
	}
	return CheckIDLength(id)
}

// lifetime caps ttl so an SVID never outlives the CA nor the given limit.
func (i *Issuer) notAfter(now time.Time, ttl time.Duration, limit time.Time) time.Time {
	na := now.Add(ttl)
	if !limit.IsZero() && limit.Before(na) {
		na = limit
	}
	if i.caCert.NotAfter.Before(na) {
		na = i.caCert.NotAfter
	}
	return na
}

// X509SVID issues an X.509-SVID for id with a fresh P-256 key: one URI SAN,
// digitalSignature only, not a CA, valid for the configured TTL (never past
// notAfter when notAfter is non-zero, nor past the CA).
func (i *Issuer) X509SVID(ctx context.Context, id spiffeid.ID, notAfter time.Time) (*x509svid.SVID, error) {
	if err := i.checkID(id); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("%w: key: %v", ErrIssue, err)
	}
	now := i.cfg.now()
	na := i.notAfter(now, i.cfg.x509TTL, notAfter)
	if !na.After(now) {
		return nil, fmt.Errorf("%w: SVID would already be expired", ErrIssue)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		URIs:                  []*url.URL{id.URL()},
		NotBefore:             now.Add(-backdate),
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		SignatureAlgorithm:    i.caCert.SignatureAlgorithm, // RSA-PSS, not crypto/x509's PKCS #1 v1.5 default
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, i.caCert, key.Public(), i.caKey)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrIssue, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &URIError{ID: id.String(), Err: err}
	}
	if err := i.audit(ctx, id, "identity.svid.x509.issue", "x509-svid:"+hex.EncodeToString(leaf.SerialNumber.Bytes()), na); err != nil {
		return nil, err
	}
	return &x509svid.SVID{ID: id, Certificates: []*x509.Certificate{leaf}, PrivateKey: key}, nil
}

// JWTSVID issues a JWT-SVID for id and audience (not empty; more than one
// only [WithMultipleAudiences], else [ErrMultipleAudiences] with
// [ErrConfig], since each audience could replay the token at the others;
// none empty, together short enough for a token of at most [MaxJWTSize]
// bytes, else [ErrJWTTooLarge] with [ErrConfig]), valid for the configured TTL
// and never past notAfter when it is non-zero. The token is a bearer
// credential: hand it only to id's workload. The result comes from go-spiffe's parser, which checks the token's times
// against the wall clock, so an issuer with a [WithClock] far from it cannot
// issue JWT-SVIDs. With [WithJWTKeyStore] the signing key is published (or
// its record renewed) first when due, and no SVID is issued unless the
// record covers its expiry ([*NotPublishedError]).
func (i *Issuer) JWTSVID(ctx context.Context, id spiffeid.ID, notAfter time.Time, audience string, more ...string) (*jwtsvid.SVID, error) {
	if err := i.checkID(id); err != nil {
		return nil, err
	}
	aud := append([]string{audience}, more...)
	if slices.Contains(aud, "") {
		return nil, fmt.Errorf("%w: empty audience", ErrConfig)
	}
	if len(more) > 0 && !i.cfg.multiAud {
		// Each audience could replay the token at the others.
		return nil, fmt.Errorf("%w: %w: %d audiences: issue one JWT-SVID per audience, or build the issuer WithMultipleAudiences", ErrConfig, ErrMultipleAudiences, len(aud))
	}
	// The audiences are the requester's (a workload's, over the Workload
	// API): bounded here, before anything is encoded or signed, so that no
	// JWT-SVID is minted that ParseAndValidateJWT refuses as too large, nor
	// megabytes of audience signed, audited and sent back on request.
	size := 0
	for _, a := range aud {
		size += len(a)
	}
	if size > MaxJWTSize {
		return nil, fmt.Errorf("%w: %w: audiences of %d bytes, a JWT-SVID holds at most %d", ErrConfig, ErrJWTTooLarge, size, MaxJWTSize)
	}
	now := i.cfg.now()
	na := i.notAfter(now, i.cfg.jwtTTL, notAfter)
	if !na.After(now) {
		return nil, fmt.Errorf("%w: SVID would already be expired", ErrIssue)
	}
	k, err := i.jwtSigningKey(ctx, now, na)
	if err != nil {
		return nil, err
	}
	jti := hex.EncodeToString(randomSerial().Bytes())
	tok, err := jwt.Signed(k.signer).Claims(jwt.Claims{
		Subject: id.String(), Audience: aud, Expiry: jwt.NewNumericDate(na), IssuedAt: jwt.NewNumericDate(now), ID: jti,
	}).Serialize()
	if err != nil {
		return nil, fmt.Errorf("%w: sign: %v", ErrIssue, err)
	}
	if len(tok) > MaxJWTSize { // the audiences' JSON and base64 encoding
		return nil, fmt.Errorf("%w: %w: JWT-SVID of %d bytes, at most %d: fewer or shorter audiences", ErrConfig, ErrJWTTooLarge, len(tok), MaxJWTSize)
	}
	s, err := jwtsvid.ParseInsecure(tok, aud)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIssue, err)
	}
	if i.cfg.masker != nil {
		i.cfg.masker.AddMask(tok)
	}
	if err := i.audit(ctx, id, "identity.svid.jwt.issue", "jwt-svid:"+jti, na); err != nil {
		return nil, err
	}
	return s, nil
}

func (i *Issuer) audit(ctx context.Context, id spiffeid.ID, action, resource string, exp time.Time) error {
	i.cfg.logger.DebugContext(ctx, "SVID issued", "spiffe_id", id.String(), "resource", resource)
	if i.cfg.sink == nil {
		return nil
	}
	err := i.cfg.sink.Write(ctx, audit.Event{
		ID: hex.EncodeToString(randomSerial().Bytes()), Time: i.cfg.now().UTC(), Source: "ztci/identity/svid",
		Action: action, Outcome: audit.OutcomeSuccess,
		Actor:    audit.Actor{ID: "spiffe://" + i.td.Name(), Kind: "service"},
		Resource: resource, Attributes: map[string]string{"spiffe_id": id.String(), "expires": exp.UTC().Format(time.RFC3339)},
	})
	if err != nil {
		return fmt.Errorf("%w: audit: %w", ErrIssue, err)
	}
	return nil
}

// randomSerial returns a positive 127-bit random serial (RFC 5280 §4.1.2.2).
func randomSerial() *big.Int {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[0] &= 0x7f
	b[0] |= 0x40 // keep it 16 bytes long and positive
	return new(big.Int).SetBytes(b[:])
}

// String names the trust domain; the CA and JWT signing keys (a
// [WithCASigner] Signer may hold the private key in its own value, an
// Ed25519 key for one) are never printed.
func (i *Issuer) String() string {
	return "svid.Issuer{" + i.td.String() + ", keys:" + redact.Marker + "}"
}

// GoString is String.
func (i *Issuer) GoString() string { return i.String() }

// Format writes String for every verb, so that no verb reaches the keys by
// reflection.
func (i *Issuer) Format(f fmt.State, _ rune) { redact.Format(f, i.String()) }

// LogValue is String.
func (i *Issuer) LogValue() slog.Value { return slog.StringValue(i.String()) }

// MarshalJSON is String as a JSON string.
func (i *Issuer) MarshalJSON() ([]byte, error) { return json.Marshal(i.String()) }

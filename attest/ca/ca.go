package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/x509ca"
)

// Defaults.
const (
	DefaultCertValidity = 10 * time.Minute
	DefaultRootValidity = 365 * 24 * time.Hour
)

// Fulcio certificate extension OIDs (1.3.6.1.4.1.57264.1.*) this CA writes.
var (
	OIDIssuer                 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1} // raw string, deprecated by Fulcio but still read
	OIDIssuerV2               = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	OIDBuildSignerURI         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 9}
	OIDRunnerEnvironment      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 11}
	OIDSourceRepositoryURI    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	OIDSourceRepositoryDigest = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 13}
	OIDSourceRepositoryRef    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	OIDBuildTrigger           = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 20}
	// The repository's and its owner's immutable ids (identity.Claims
	// RepositoryID, RepositoryOwnerID): a name can be registered again
	// after a rename, an id cannot.
	OIDSourceRepositoryIdentifier      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 15}
	OIDSourceRepositoryOwnerIdentifier = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 17}
)

// File names under the WithDir directory.
const (
	keyFile     = "ca.key"
	certFile    = "ca.pem"
	retiredFile = "ca-retired.json"
)

// Root is one root certificate of the CA and the period in which it issued
// certificates. End is zero for the current root.
type Root struct {
	Cert       *x509.Certificate
	Start, End time.Time
}

// CA is an embedded certificate authority that issues short-lived
// code-signing certificates in Fulcio's format. It is safe for concurrent
// use.
type CA struct {
	config // fixed at New

	mu      sync.RWMutex
	key     crypto.Signer
	root    *x509.Certificate
	retired []Root
}

// config is what the options set.
type config struct {
	clock        func() time.Time
	certValidity time.Duration
	rootValidity time.Duration
	dir          string
	name         string
	log          *slog.Logger
	servers      map[string]string   // issuer → forge URL, see WithServerURL
	domains      map[string]*url.URL // issuer → subject domain, see WithSubjectDomain
	sink         audit.Sink
	signer       crypto.Signer // WithSigner: the external key and its root
	signerRoot   *x509.Certificate
	retiredRoots []Root // WithRetiredRoots
}

// Option configures New. An option given an unusable value, or a nil
// Option, makes New fail with [ErrConfig].
type Option func(*config) error

// WithClock sets the time source (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithCertValidity sets the lifetime of issued certificates (default 10 min).
func WithCertValidity(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithCertValidity: %v, want a positive duration", d)
		}
		c.certValidity = d
		return nil
	}
}

// WithRootValidity sets the lifetime of a new root (default one year).
func WithRootValidity(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithRootValidity: %v, want a positive duration", d)
		}
		c.rootValidity = d
		return nil
	}
}

// WithDir persists the CA in dir (created 0700): ca.key (PKCS#8 PEM, 0600),
// ca.pem and ca-retired.json (roots kept after rotation), each written
// atomically. An existing CA there is loaded; a new one is created and
// written only when none of the three files exists. ca.key must be a
// regular file (not a symbolic link) owned by the process's user with no
// group or other permissions ([ErrUnsafeKeyFile]); a root or retired roots
// without ca.key are refused ([ErrKeyMissing]), never overwritten. To start
// a new CA deliberately, move the directory away (keep ca.pem and
// ca-retired.json: they verify what the old CA issued) and use an empty one.
// The path to dir must be safe as OpenSSH requires of ~/.ssh: every
// directory and symbolic link on it owned by root or the process's user,
// dir writable by nobody else, a directory above it writable by others
// only if sticky (/tmp); the other files regular, owned by the process's
// user, not writable by group or others ([ErrUnsafeKeyFile]).
func WithDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("WithDir: empty directory")
		}
		c.dir = dir
		return nil
	}
}

// WithName sets the root's common name (default "ztci embedded CA").
func WithName(cn string) Option {
	return func(c *config) error {
		if cn == "" {
			return errors.New("WithName: empty common name")
		}
		c.name = cn
		return nil
	}
}

// WithLogger sets a logger for diagnostics (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithAudit records every issued certificate in sink (action
// "ca.certificate.issue": the identity as actor, serial, SANs, validity,
// key id; never a key or token). A certificate whose event the sink refuses
// is not returned: Issue fails with [ErrUnavailable].
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return errors.New("WithAudit: nil sink")
		}
		c.sink = sink
		return nil
	}
}

// WithSigner makes the CA sign with s, a key the caller holds (a KMS or
// HSM key, or any crypto.Signer), under root, the CA certificate for that
// key. The CA calls only s.Public and s.Sign; the private key never passes
// through it. Replicas given the same signer and root issue certificates
// that chain to the same root, so one exported trusted root verifies what
// any of them issued, and a restart invalidates nothing. Create root once,
// with [NewRootCertificate], and distribute it with the replicas'
// configuration (it is public), as Fulcio's KMS CA takes its chain file.
//
// root must be a self-signed CA certificate for s.Public(), and s must
// produce a signature that verifies under it now (New signs a challenge):
// otherwise New fails with [ErrConfig]. ECDSA P-256/P-384/P-521, Ed25519
// and RSA of at least 2048 bits are accepted. A CA with a signer has no
// key to persist (WithDir is refused with it) and cannot rotate its own
// key ([CA.Rotate] returns [ErrExternalKey]): rotate in the KMS, restart
// with the new signer and root, and pass the old root to [WithRetiredRoots].
func WithSigner(s crypto.Signer, root *x509.Certificate) Option {
	return func(c *config) error {
		if s == nil || root == nil {
			return errors.New("WithSigner: nil signer or root")
		}
		if !root.IsCA || !root.BasicConstraintsValid || root.KeyUsage&x509.KeyUsageCertSign == 0 {
			return errors.New("WithSigner: root is not a CA certificate (basic constraints CA, key usage certSign)")
		}
		if err := root.CheckSignatureFrom(root); err != nil {
			return fmt.Errorf("WithSigner: root is not self-signed: %w", err)
		}
		c.signer, c.signerRoot = s, root
		return nil
	}
}

// WithRetiredRoots adds roots the CA issued under before (newest first,
// each with the period it issued in) to [CA.Roots] and so to the exported
// trusted root: certificates issued under them keep verifying after a
// rotation done outside the CA (see [WithSigner]).
func WithRetiredRoots(roots ...Root) Option {
	return func(c *config) error {
		for _, r := range roots {
			if r.Cert == nil || !r.Cert.IsCA || r.End.IsZero() || r.End.Before(r.Start) {
				return errors.New("WithRetiredRoots: each root needs a CA certificate and an End not before its Start")
			}
		}
		c.retiredRoots = append(c.retiredRoots, roots...)
		return nil
	}
}

// NewRootCertificate makes the self-signed root certificate for a CA key
// held by s, valid from notBefore for validity, named cn: the certificate
// that [WithSigner] takes, made once and shared by every replica.
func NewRootCertificate(s crypto.Signer, cn string, notBefore time.Time, validity time.Duration) (*x509.Certificate, error) {
	if s == nil || cn == "" || validity <= 0 {
		return nil, fmt.Errorf("%w: NewRootCertificate needs a signer, a name and a positive validity", ErrConfig)
	}
	root, err := x509ca.NewRoot(s, pkix.Name{CommonName: cn, Organization: []string{"ztci"}}, notBefore, validity, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return root, nil
}

// New creates a CA: in memory by default, persisted with WithDir.
func New(opts ...Option) (*CA, error) {
	c := &CA{config: config{
		clock:        time.Now,
		certValidity: DefaultCertValidity,
		rootValidity: DefaultRootValidity,
		name:         "ztci embedded CA",
		log:          slog.New(slog.DiscardHandler),
	}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&c.config); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if c.signer == nil && len(c.retiredRoots) > 0 {
		return nil, fmt.Errorf("%w: WithRetiredRoots is for a CA with WithSigner (WithDir keeps its own retired roots)", ErrConfig)
	}
	if c.signer != nil {
		if c.dir != "" {
			return nil, fmt.Errorf("%w: WithDir persists a key the CA generates; with WithSigner the key stays in the signer", ErrConfig)
		}
		if err := x509ca.CheckSigner(c.signer, c.signerRoot); err != nil {
			return nil, fmt.Errorf("%w: WithSigner: %w", ErrConfig, err)
		}
		c.key, c.root, c.retired = c.signer, c.signerRoot, slices.Clone(c.retiredRoots)
		return c, nil
	}
	if c.dir != "" {
		loaded, err := c.load()
		if err != nil {
			return nil, err
		}
		if loaded {
			return c, nil
		}
	}
	if err := c.newRoot(); err != nil {
		return nil, err
	}
	return c, c.save()
}

func (c *CA) newRoot() error {
	key, err := x509ca.NewKey()
	if err != nil {
		return err
	}
	root, err := x509ca.NewRoot(key, pkix.Name{CommonName: c.name, Organization: []string{"ztci"}}, c.clock(), c.rootValidity, 0)
	if err != nil {
		return err
	}
	c.key, c.root = key, root
	return nil
}

// store is where WithDir keeps the CA: the root key, the root, and the
// retired roots.
func (c *CA) store() x509ca.Store {
	return x509ca.Store{Dir: c.dir, KeyFile: keyFile, ChainFile: certFile, RetiredFile: retiredFile}
}

func (c *CA) load() (bool, error) {
	st, found, err := c.store().Load()
	if err != nil {
		return false, fmt.Errorf("ca: load: %w", err)
	}
	if !found {
		return false, nil
	}
	c.key, c.root = st.Key, st.Chain[0]
	for _, r := range st.Retired {
		c.retired = append(c.retired, Root{Cert: r.Chain[0], Start: r.Start, End: r.End})
	}
	return true, nil
}

// save writes the CA's state; callers hold mu or own c exclusively.
func (c *CA) save() error {
	if c.dir == "" {
		return nil
	}
	st := x509ca.State{Key: c.key, Chain: []*x509.Certificate{c.root}}
	for _, r := range c.retired {
		st.Retired = append(st.Retired, x509ca.Retired{Chain: []*x509.Certificate{r.Cert}, Start: r.Start, End: r.End})
	}
	if err := c.store().Save(st); err != nil {
		return fmt.Errorf("ca: save: %w", err)
	}
	return nil
}

// Rotate replaces the root key and certificate. The old root is kept (its
// certificate only; the old private key is discarded) with End set to now,
// so certificates it issued still verify through Roots and the exported
// trusted root.
func (c *CA) Rotate() error {
	if c.signer != nil {
		return ErrExternalKey
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, oldKey := c.root, c.key
	now := c.clock()
	if err := c.newRoot(); err != nil {
		return fmt.Errorf("ca: rotate: %w", err)
	}
	c.retired = append([]Root{{Cert: old, Start: old.NotBefore, End: now}}, c.retired...)
	if err := c.save(); err != nil {
		c.root, c.key, c.retired = old, oldKey, c.retired[1:]
		return err
	}
	c.log.Info("ca: rotated root", "old_serial", old.SerialNumber.String(), "new_serial", c.root.SerialNumber.String())
	return nil
}

// Roots returns the current root first, then retired roots, newest first.
func (c *CA) Roots() []Root {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := []Root{{Cert: c.root, Start: c.root.NotBefore}}
	return append(out, c.retired...)
}

// Certificate returns the current root certificate.
func (c *CA) Certificate() *x509.Certificate {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.root
}

// Issue certifies pub for id: a code-signing certificate valid for the
// configured lifetime (never beyond the root), with the identity in its SAN
// and the issuer and CI claims in Fulcio's extensions. It returns the chain
// leaf first, without the root (currently just the leaf).
//
// SAN: the SPIFFE ID when set; otherwise id.Subject, which must be an
// email address, or an absolute URI whose scheme and host are those of
// the subject domain configured for id.Issuer ([WithSubjectDomain];
// [ErrSubjectDomain] otherwise). Issuer extension: id.Issuer, or for a
// SPIFFE identity without one, the trust domain ("spiffe://example.org").
// Claims: Runner → Runner Environment (.11), Commit → Source Repository
// Digest (.13), Ref → Source Repository Ref (.14), Event → Build Trigger
// (.20), and the URI-typed extensions built as Fulcio's ci-provider
// templates build them on the forge URL (see [WithServerURL]): Build Signer
// URI (.9, "{url}/{workflow_ref}"; GitLab "https://{ci_config_ref_uri}"),
// Source Repository URI (.12, "{url}/{repository}"), Source Repository
// Owner URI (.16) and Run Invocation URI (.21). A URI extension is omitted
// when a claim it needs is missing, and never written as a non-URI nor as
// a URI with user info (ErrIdentity: a clone URL's token, or
// "https://github.com@evil.example/…", which names evil.example), nor
// with a dot segment, also percent-encoded, an empty segment or an encoded
// '/' or '\' in its path (ErrIdentity and oidc.ErrURIPath, for the SAN
// too; see the package documentation).
//
// With [WithAudit], the certificate is returned only once the sink has
// recorded it.
//
// Issue takes id as established: an email subject is certified as it is,
// with no email_verified to check. To certify for a verified token, bound
// by its validity, use [CA.IssueToken].
func (c *CA) Issue(ctx context.Context, pub crypto.PublicKey, id identity.Identity) ([]*x509.Certificate, error) {
	return c.issue(ctx, pub, id, grant{email: true})
}

// grant is what the token an issuance is for allows: a certificate valid
// within [notBefore, notAfter] (a zero bound: none from a token), and an
// email subject certified only when email is set.
type grant struct {
	notBefore, notAfter time.Time
	email               bool
}

// IssueToken certifies pub for tok.Identity as [CA.Issue] does, for no
// longer than the token is valid: NotAfter is the earliest of the
// configured lifetime, the root's expiry and tok.Expiry, and NotBefore is
// the time of issue, or the token's iat or nbf when later (never
// backdated beyond X.509's rounding down to the second). A token without
// an expiry, or one that leaves no whole second of validity, is refused
// with [ErrTokenValidity]; there is no longer minimum, as the CA cannot
// know how long a signer needs, and a longer certificate would outlive
// the token. An email subject is certified only when tok.EmailVerified
// ([ErrEmailUnverified] otherwise), as Fulcio requires of email issuers.
func (c *CA) IssueToken(ctx context.Context, pub crypto.PublicKey, tok Token) ([]*x509.Certificate, error) {
	if tok.Expiry.IsZero() {
		return nil, fmt.Errorf("%w: the token has no expiry", ErrTokenValidity)
	}
	g := grant{notBefore: tok.IssuedAt, notAfter: tok.Expiry, email: tok.EmailVerified}
	if tok.NotBefore.After(g.notBefore) {
		g.notBefore = tok.NotBefore
	}
	return c.issue(ctx, pub, tok.Identity, g)
}

func (c *CA) issue(ctx context.Context, pub crypto.PublicKey, id identity.Identity, g grant) ([]*x509.Certificate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLeafKey(pub); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	tmpl, err := template(id, c.serverURL(id), c.domains[id.Issuer])
	if err != nil {
		return nil, err
	}
	if len(tmpl.EmailAddresses) > 0 && !g.email {
		return nil, ErrEmailUnverified
	}
	c.mu.RLock()
	key, root := c.key, c.root
	c.mu.RUnlock()
	now := c.clock()
	if now.Before(root.NotBefore) || now.After(root.NotAfter) {
		return nil, &ValidityError{NotBefore: root.NotBefore, NotAfter: root.NotAfter, Now: now, expired: now.After(root.NotAfter)}
	}
	serial, err := x509ca.Serial()
	if err != nil {
		return nil, err
	}
	skid, err := x509ca.KeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	tmpl.SerialNumber = serial
	tmpl.SubjectKeyId = skid
	if err := validity(tmpl, now, c.certValidity, root.NotAfter, g); err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, pub, key)
	if err != nil {
		return nil, fmt.Errorf("ca: issue: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: issue: %w", err)
	}
	if c.sink != nil {
		if err := c.sink.Write(ctx, issuedEvent(id, leaf)); err != nil {
			return nil, fmt.Errorf("%w: certificate %x not audited: %w", ErrUnavailable, leaf.SerialNumber, err)
		}
	}
	c.log.Debug("ca: issued certificate", "serial", leaf.SerialNumber.String(), "identity", id.ID(), "not_after", leaf.NotAfter)
	return []*x509.Certificate{leaf}, nil
}

// validity sets the certificate's NotBefore and NotAfter: from now (or the
// token's iat or nbf, when later) for ttl, never past the root's expiry or
// the token's (g.notAfter). X.509 times are whole seconds: NotBefore is
// rounded down, at most a second before its bound, and NotAfter down,
// never past either. A window left empty is refused.
func validity(t *x509.Certificate, now time.Time, ttl time.Duration, rootEnd time.Time, g grant) error {
	start := now
	if g.notBefore.After(start) {
		start = g.notBefore
	}
	end := now.Add(ttl)
	if end.After(rootEnd) {
		end = rootEnd
	}
	if !g.notAfter.IsZero() && end.After(g.notAfter) {
		end = g.notAfter
	}
	t.NotBefore = start.UTC().Truncate(time.Second)
	t.NotAfter = end.UTC().Truncate(time.Second)
	if !t.NotAfter.After(t.NotBefore) {
		return fmt.Errorf("%w: no whole second from %s to %s", ErrTokenValidity,
			start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// issuedEvent describes an issued certificate: who it names and which one
// it is, nothing that signs or authenticates.
func issuedEvent(id identity.Identity, leaf *x509.Certificate) audit.Event {
	serial := fmt.Sprintf("%x", leaf.SerialNumber)
	sans := make([]string, 0, len(leaf.URIs)+len(leaf.EmailAddresses))
	for _, u := range leaf.URIs {
		sans = append(sans, u.String())
	}
	sans = append(sans, leaf.EmailAddresses...)
	return audit.Event{
		ID:       "ca-certificate-" + serial,
		Time:     leaf.NotBefore,
		Source:   "ztci/attest/ca",
		Action:   "ca.certificate.issue",
		Outcome:  audit.OutcomeSuccess,
		Actor:    id.AuditActor(),
		Resource: "certificate:" + serial,
		Attributes: map[string]string{
			"serial":         serial,
			"san":            strings.Join(sans, ","),
			"issuer":         ext(leaf, OIDIssuerV2),
			"not_before":     leaf.NotBefore.UTC().Format(time.RFC3339),
			"not_after":      leaf.NotAfter.UTC().Format(time.RFC3339),
			"subject_key_id": hex.EncodeToString(leaf.SubjectKeyId),
		},
	}
}

// ext returns a UTF8String extension's value, or "".
func ext(c *x509.Certificate, oid asn1.ObjectIdentifier) string {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			var s string
			if _, err := asn1.UnmarshalWithParams(e.Value, &s, "utf8"); err == nil {
				return s
			}
		}
	}
	return ""
}

// certifiable reports whether v may be written into a certificate: valid
// UTF-8 without control characters (C0, DEL, C1), the Unicode line and
// paragraph separators or bidirectional formatting characters. A claim
// holding a newline ("refs/heads/main\nsource=...") would be certified as
// it is and printed by whatever shows the certificate as two lines, the
// second looking like another field. A bidi override or isolate (a branch
// name git accepts, "refs/heads/\u202Eniam") is printed by a terminal or
// a browser in another order than it is compared in: the certified ref
// reads "refs/heads/main" to the person checking the certificate (the
// Trojan Source display, CVE-2021-42574).
func certifiable(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return false
		}
	}
	return true
}

// quoteRedacted quotes v for an error, which reaches the log and the
// client, as a URL with its password redacted; a v that does not parse as
// a URL, and so cannot be redacted, is quoted only when it holds no '@'
// (no user info, so no password, can precede one).
func quoteRedacted(v string) string {
	if u, err := url.Parse(v); err == nil {
		return strconv.Quote(clip.String(u.Redacted(), 80))
	}
	if strings.Contains(v, "@") {
		return "(not quoted: unparsable, may hold user info)"
	}
	return strconv.Quote(clip.String(v, 80))
}

// printableASCII reports whether v holds only printable ASCII.
func printableASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// MaxIdentityValue is the longest subject, issuer or claim value, in bytes,
// that Issue writes into a certificate (the SAN and each Fulcio extension):
// a SPIFFE ID's limit, far above any CI workflow URI. Longer values are
// refused with ErrIdentity rather than certified into a certificate of
// unbounded size.
const MaxIdentityValue = 2048

// template is the certificate for id: its SAN and Fulcio extensions, with
// the URI extensions built on server, and a URI subject certified only
// within domain (nil: none configured for id's issuer).
func template(id identity.Identity, server string, domain *url.URL) (*x509.Certificate, error) {
	t := &x509.Certificate{}
	issuer := id.Issuer
	switch {
	case !id.SPIFFEID.IsZero():
		u := id.SPIFFEID.URL()
		t.URIs = []*url.URL{u}
		if issuer == "" {
			issuer = id.SPIFFEID.TrustDomain().IDString()
		}
	case len(id.Subject) > MaxIdentityValue:
		return nil, fmt.Errorf("%w: subject is %d bytes, more than %d", ErrIdentity, len(id.Subject), MaxIdentityValue)
	case id.Subject != "":
		if u, err := url.Parse(id.Subject); err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "") {
			// The SAN is written as u.String(), which folds the scheme's
			// case and escapes what the subject left raw ("HTTPS://…",
			// a space, non-ASCII): the certificate would name another
			// identity than the token's subject, perhaps one a verifier
			// expects from someone else. Only a subject that is its own
			// URI form is certified.
			if u.String() != id.Subject {
				// Quoted redacted: a subject with user info may hold a
				// password, which the refusal must not carry to the log
				// or the client.
				return nil, fmt.Errorf("%w: the subject would be certified as the URI %q, which is not how it is written; only a subject in its own URI form is certified", ErrIdentity, clip.String(u.Redacted(), 80))
			}
			if err := inSubjectDomain(u, domain); err != nil {
				return nil, err
			}
			if err := checkURIPath(id.Subject, gitLabConfigRef(id.Subject, id.Claims)); err != nil {
				return nil, fmt.Errorf("%w: subject %q: %w", ErrIdentity, clip.String(u.Redacted(), 80), err)
			}
			t.URIs = []*url.URL{u}
		} else if a, err := mail.ParseAddress(id.Subject); err == nil && a.Address == id.Subject {
			// An rfc822Name is an IA5String: net/mail reads UTF-8 local
			// parts (a bidi override or a C1 control among them) that the
			// certificate cannot hold. Refused as the identity it is, not
			// left to fail in x509 as an internal error.
			if !printableASCII(id.Subject) {
				return nil, fmt.Errorf("%w: email subject %q is not printable ASCII", ErrIdentity, clip.String(id.Subject, 80))
			}
			t.EmailAddresses = []string{id.Subject}
		} else {
			return nil, fmt.Errorf("%w: subject %s is neither an absolute URI nor an email address", ErrIdentity, quoteRedacted(id.Subject))
		}
	default:
		return nil, fmt.Errorf("%w: no SPIFFE ID or subject", ErrIdentity)
	}
	if issuer == "" {
		return nil, fmt.Errorf("%w: no issuer", ErrIdentity)
	}
	if len(issuer) > MaxIdentityValue {
		return nil, fmt.Errorf("%w: issuer is %d bytes, more than %d", ErrIdentity, len(issuer), MaxIdentityValue)
	}
	if !certifiable(issuer) {
		return nil, fmt.Errorf("%w: issuer %q holds a control character or is not UTF-8", ErrIdentity, clip.String(issuer, 80))
	}
	t.ExtraExtensions = append(t.ExtraExtensions, pkix.Extension{Id: OIDIssuer, Value: []byte(issuer)})
	add := func(oid asn1.ObjectIdentifier, v string) error {
		if v == "" {
			return nil
		}
		der, err := asn1.MarshalWithParams(v, "utf8")
		if err != nil {
			return fmt.Errorf("%w: claim %v: %w", ErrIdentity, oid, err)
		}
		t.ExtraExtensions = append(t.ExtraExtensions, pkix.Extension{Id: oid, Value: der})
		return nil
	}
	cl := id.Claims
	exts := []struct {
		oid asn1.ObjectIdentifier
		v   string
	}{
		{OIDIssuerV2, issuer},
		{OIDRunnerEnvironment, cl.Runner},
		{OIDSourceRepositoryDigest, cl.Commit},
		{OIDSourceRepositoryRef, cl.Ref},
		{OIDBuildTrigger, cl.Event},
		{OIDSourceRepositoryIdentifier, cl.RepositoryID},
		{OIDSourceRepositoryOwnerIdentifier, cl.RepositoryOwnerID},
	}
	for _, e := range uriExtensions(server, cl) {
		if e.v == "" {
			continue
		}
		// The extension is URI-typed: never write what does not parse as
		// an absolute URI (the old "acme/app" did not).
		u, err := url.Parse(e.v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("%w: claim for %v does not make a URI: %s", ErrIdentity, e.oid, quoteRedacted(e.v))
		}
		// Nor one with user info: a repository claim that is a clone URL
		// ("https://ci:TOKEN@git.example.com/…") would certify its token
		// into a public, logged certificate, and
		// "https://github.com@evil.example/…" names evil.example while
		// reading, to a person or a prefix match, as github.com. Fulcio's
		// templates never write one. Quoted redacted, as the SAN is.
		if u.User != nil {
			return nil, fmt.Errorf("%w: claim for %v makes a URI with user info: %q", ErrIdentity, e.oid, clip.String(u.Redacted(), 80))
		}
		if err := checkURIPath(e.v, gitLabConfigRef(e.v, cl)); err != nil {
			return nil, fmt.Errorf("%w: claim for %v makes the URI %q: %w", ErrIdentity, e.oid, clip.String(e.v, 80), err)
		}
		exts = append(exts, e)
	}
	for _, e := range exts {
		if len(e.v) > MaxIdentityValue {
			return nil, fmt.Errorf("%w: claim for %v is %d bytes, more than %d", ErrIdentity, e.oid, len(e.v), MaxIdentityValue)
		}
		if !certifiable(e.v) {
			return nil, fmt.Errorf("%w: claim for %v %q holds a control character or is not UTF-8", ErrIdentity, e.oid, clip.String(e.v, 80))
		}
		if err := add(e.oid, e.v); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Issuer issues certificates for one identity. It satisfies
// attest.CertificateIssuer, so the CA plugs into attest.NewCASigner.
type Issuer struct {
	ca  *CA
	id  identity.Identity
	tok *Token // IssuerForToken: the token bounding each certificate
}

// IssuerFor returns an Issuer that certifies keys for id.
func (c *CA) IssuerFor(id identity.Identity) *Issuer { return &Issuer{ca: c, id: id} }

// IssuerForToken returns an Issuer that certifies keys for tok's identity,
// each certificate bounded by tok's validity (see [CA.IssueToken]).
func (c *CA) IssuerForToken(tok Token) *Issuer { return &Issuer{ca: c, id: tok.Identity, tok: &tok} }

// IssueCertificate certifies pub for the Issuer's identity (see CA.Issue),
// or its token (see CA.IssueToken).
func (i *Issuer) IssueCertificate(ctx context.Context, pub crypto.PublicKey) ([]*x509.Certificate, error) {
	if i.tok != nil {
		return i.ca.IssueToken(ctx, pub, *i.tok)
	}
	return i.ca.Issue(ctx, pub, i.id)
}

// String names the CA; its key (which may be a Signer holding the private
// key in its own value, an Ed25519 key for one) is never printed.
func (c *CA) String() string { return "ca.CA{" + c.name + ", key:" + redact.Marker + "}" }

// GoString is String.
func (c *CA) GoString() string { return c.String() }

// Format writes String for every verb, so that no verb reaches the key by
// reflection.
func (c *CA) Format(f fmt.State, _ rune) { redact.Format(f, c.String()) }

// LogValue is String.
func (c *CA) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON is String as a JSON string.
func (c *CA) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

package attest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/digitorus/timestamp"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/mediatype"
	"github.com/ztci/ztci/internal/origin"
	"github.com/ztci/ztci/internal/x509ca"
)

// Signing errors.
var (
	// ErrSign: a signature or bundle could not be produced. The cause
	// (a CA error, a network error) is wrapped too.
	ErrSign = errors.New("attest: signing failed")
	// ErrSigner: a signer could not be constructed from its inputs.
	ErrSigner = errors.New("attest: invalid signer")
	// ErrConfig: a signer constructor was given an unusable Option, a nil
	// one, or one that does not apply to it.
	ErrConfig = fmt.Errorf("%w: invalid option", ErrSigner)
	// ErrWeakKey: a key is too weak (RSA < 2048 bits, ECDSA below P-256).
	// The same value as ca.ErrWeakKey.
	ErrWeakKey = x509ca.ErrWeakKey
	// ErrUnsupportedKey: a key type is not ECDSA, Ed25519 or RSA, or a size
	// Sigstore cannot describe.
	ErrUnsupportedKey = x509ca.ErrUnsupportedKey
	// ErrNoTimestamp: a certificate signer has neither a timestamp authority
	// nor a transparency log, so its bundles would stop verifying when the
	// short-lived certificate expires. Opt out with WithoutTimestampsUnsafe.
	ErrNoTimestamp = fmt.Errorf("%w: certificate signer without a timestamp authority or transparency log", ErrSigner)
	// ErrForeignCertificate: the certificate issuer (Fulcio, the embedded
	// CA, a [CertificateIssuer]) answered with a certificate that does not
	// certify the signing key, or that cannot be parsed, or one the signer
	// refuses otherwise ([ErrCertificateIdentity], [ErrCertificateUsage],
	// [ErrCertificateValidity], [ErrCertificateChain] wrap it). No bundle
	// is produced: it would name a key (and so an identity) other than
	// the one that signed.
	ErrForeignCertificate = fmt.Errorf("%w: the certificate is not for the signing key", ErrSign)
	// ErrForeignTimestamp: a timestamp authority answered with a token
	// that does not cover the signature (another hash algorithm or another
	// digest), or that cannot be parsed. No bundle is produced.
	ErrForeignTimestamp = fmt.Errorf("%w: a timestamp does not cover the signature", ErrSign)
	// ErrForeignLogEntry: a transparency log answered the upload with an
	// entry that does not hold the signature (an entry for another
	// artifact, or an unreadable one). No bundle is produced.
	ErrForeignLogEntry = fmt.Errorf("%w: a log entry does not hold the signature", ErrSign)
)

// maxServiceErrorText bounds the text of a signing service's error kept in
// a signing error.
const maxServiceErrorText = 512

// BundleMediaType is the media type of the bundles this package writes.
// It is also the artifactType under which attest/attach attaches them.
const BundleMediaType = mediatype.SigstoreBundle

// Signer signs a DSSE payload into a Sigstore bundle.
//
// SignPayload returns the bundle (v0.3, DSSE envelope) in its JSON form. An
// error means no bundle was produced. Implementations must be safe for
// concurrent use and must not retain payload.
type Signer interface {
	SignPayload(ctx context.Context, payloadType string, payload []byte) ([]byte, error)
}

// SignerFunc adapts a function to Signer.
type SignerFunc func(ctx context.Context, payloadType string, payload []byte) ([]byte, error)

// SignPayload calls f.
func (f SignerFunc) SignPayload(ctx context.Context, payloadType string, payload []byte) ([]byte, error) {
	return f(ctx, payloadType, payload)
}

// Sign validates st and signs it with s as an in-toto DSSE envelope
// (payloadType PayloadType), returning the Sigstore bundle JSON.
//
// Besides Statement.Validate, every subject must carry at least one digest
// whose algorithm the in-toto spec names (ErrUnknownAlgorithm otherwise):
// verifiers ignore unknown algorithms, so such a subject could never match.
// The encoded Statement must read back with ParseStatement (errors wrap
// ErrInvalidStatement): UTF-8, no two member names equal under case
// folding in any object, predicate maps and annotations included, and at
// most MaxStatementSize bytes.
func Sign(ctx context.Context, s Signer, st *Statement) ([]byte, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	for i, sub := range st.Subject {
		known := false
		for alg := range sub.Digest {
			if _, ok := hexLengths[alg]; ok || variableHex[alg] {
				known = true
				break
			}
		}
		if !known {
			return nil, &statementError{where: fmt.Sprintf("subject[%d]", i), err: fmt.Errorf("%w: no digest with an algorithm the in-toto spec names", ErrUnknownAlgorithm)}
		}
	}
	payload, err := marshalPredicate(st)
	if err != nil {
		return nil, fmt.Errorf("%w: encode statement: %w", ErrSign, err)
	}
	// Validate checks the Statement's rules, not how its encoding reads
	// back: a map in a predicate or an annotation with two keys equal
	// under case folding ("source" beside "ſource", which encoding/json
	// writes after it and case-insensitive readers such as slsa-verifier
	// then take), text that is not UTF-8 in a raw predicate, or a
	// statement past MaxStatementSize would be signed although
	// ParseStatement, and so verify, refuse it.
	// What is signed is what this package reads back: ParseStatement is
	// these checks, then Validate on the members by their exact names,
	// which are the names the encoder wrote (BenchmarkSignKeySBOM, 250 KB:
	// these checks add about a third to the signing, the whole
	// ParseStatement four fifths).
	if len(payload) > MaxStatementSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(payload), MaxStatementSize)
	}
	if err := checkStrictJSON(payload); err != nil {
		return nil, err
	}
	return s.SignPayload(ctx, PayloadType, payload)
}

// CertificateIssuer issues a short-lived code-signing certificate for a
// public key, bound to an identity the issuer already knows (for example
// ca.(*CA).IssuerFor). It returns the chain leaf first, without the root; an
// error means no certificate. Safe for concurrent use.
type CertificateIssuer interface {
	IssueCertificate(ctx context.Context, pub crypto.PublicKey) ([]*x509.Certificate, error)
}

// TokenSource is [identity.TokenSource], the one declaration of that seam:
// [NewFulcioSigner] takes the same token source as httpauth's client
// transport and the token exchange. The alias keeps attest.TokenSource
// working for callers that named it here.
type TokenSource = identity.TokenSource

// TokenSourceFunc is [identity.TokenSourceFunc], the function adapter.
type TokenSourceFunc = identity.TokenSourceFunc

// Option configures a signer. An option given an unusable value (a nil
// handler, logger or transport, an empty or relative URL, a timeout that is
// not positive), a nil Option, or one that does not apply to the
// constructor it is passed to makes the constructor fail with [ErrConfig].
type Option func(*config) error

type config struct {
	tsaURLs      []string
	embeddedTSAs []http.Handler
	rekors       []rekorConfig
	transport    http.RoundTripper
	timeout      time.Duration
	log          *slog.Logger
	noTimeUnsafe bool
	now          func() time.Time     // WithClock
	certID       *certIdentity        // WithCertificateIdentity
	trusted      root.TrustedMaterial // WithTrustedRoot
}

type rekorConfig struct {
	url     string
	version uint32
}

// WithTimestampAuthority adds an RFC 3161 timestamp authority reached over
// HTTP at url (the full endpoint, e.g. https://tsa.example/api/v1/timestamp).
// Each query carries a fresh random nonce, and an answer whose token does
// not echo it is refused ([ErrTimestampNonce]), as for the embedded
// authority ([WithEmbeddedTimestampAuthority]).
func WithTimestampAuthority(url string) Option {
	return func(c *config) error {
		if err := httpURL("WithTimestampAuthority", url); err != nil {
			return err
		}
		c.tsaURLs = append(c.tsaURLs, url)
		return nil
	}
}

// WithEmbeddedTimestampAuthority adds a timestamp authority served in process
// by h (typically tsa.(*TSA).Handler()): sigstore-go's own client talks to it
// through an in-memory transport ([InProcessTransport]); nothing touches the
// network. A request to it is bounded like a remote one ([WithTimeout], the
// signing call's context); h sees its request's context end.
func WithEmbeddedTimestampAuthority(h http.Handler) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("WithEmbeddedTimestampAuthority: nil handler")
		}
		c.embeddedTSAs = append(c.embeddedTSAs, h)
		return nil
	}
}

// WithRekor uploads each signature to the Rekor log at url (API version 1 or
// 2) and puts the entry in the bundle. Rekor v2 gives no integrated time, so
// certificate signers still need a timestamp authority with it.
func WithRekor(url string, version uint32) Option {
	return func(c *config) error {
		if version != 1 && version != 2 {
			return fmt.Errorf("WithRekor: API version %d, want 1 or 2", version)
		}
		if err := httpURL("WithRekor", url); err != nil {
			return err
		}
		c.rekors = append(c.rekors, rekorConfig{url: url, version: version})
		return nil
	}
}

// WithTransport sets the HTTP transport for Fulcio, timestamp authorities
// and Rekor logs reached by URL (default http.DefaultTransport). Each is
// reached at its configured origin only; a redirect is never followed.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("WithTransport: nil transport")
		}
		c.transport = rt
		return nil
	}
}

// WithTimeout bounds each request to Fulcio, a timestamp authority (the
// embedded one too) or a Rekor log (default 30 s). The signing call's
// context bounds them as well: whichever ends first fails the call with
// [ErrSign] wrapping context.DeadlineExceeded or context.Canceled.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithTimeout: %v, want a positive duration", d)
		}
		c.timeout = d
		return nil
	}
}

// WithLogger sets a logger for diagnostics (default: silent). Tokens and keys
// are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithoutTimestampsUnsafe allows a certificate signer ([NewCASigner],
// [NewFulcioSigner]) without a timestamp authority or transparency log. Its
// bundles verify only while the certificate is valid (minutes) and only by
// a verifier that accepts the current time as evidence. [NewKeySigner]
// refuses it: a key signer has no certificate to outlive.
func WithoutTimestampsUnsafe() Option {
	return func(c *config) error { c.noTimeUnsafe = true; return nil }
}

func httpURL(option, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: %q is not an absolute http(s) URL", option, s)
	}
	return nil
}

// BundleSigner signs into Sigstore bundles through sigstore-go's sign
// package. Make one with NewKeySigner, NewCASigner or NewFulcioSigner.
type BundleSigner struct {
	keypair    func() (sign.Keypair, error)
	certs      sign.CertificateProvider
	fulcio     *url.URL // set for a Fulcio signer: its client is made per call
	fulcioBase string
	tokens     TokenSource
	cfg        *config
	log        *slog.Logger
	kind       string
}

var _ Signer = (*BundleSigner)(nil)

// newConfig applies opts for the constructor named ctor.
func newConfig(ctor string, opts []Option) (*config, error) {
	c := &config{timeout: 30 * time.Second, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: %s: nil Option", ErrConfig, ctor)
		}
		if err := o(c); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConfig, ctor, err)
		}
	}
	if c.noTimeUnsafe && ctor == "NewKeySigner" {
		return nil, fmt.Errorf("%w: NewKeySigner: WithoutTimestampsUnsafe applies to certificate signers only", ErrConfig)
	}
	if (c.certID != nil || c.trusted != nil) && ctor == "NewKeySigner" {
		return nil, fmt.Errorf("%w: NewKeySigner: WithCertificateIdentity and WithTrustedRoot apply to certificate signers only", ErrConfig)
	}
	return c, nil
}

// bundleOptions returns sigstore-go's options for one signing call under
// ctx. sigstore-go's timestamp and Fulcio clients send their requests
// without the caller's context (http.NewRequest), so their clients are
// made per call over a transport that sends every request under ctx too:
// a service that never answers holds the call until ctx is done or the
// timeout passes, whichever comes first, not for the timeout alone.
func (c *config) bundleOptions(ctx context.Context) sign.BundleOptions {
	var o sign.BundleOptions
	for _, u := range c.tsaURLs {
		// The request is sent to u's origin only and a redirect is never
		// followed: sigstore-go's client re-sends a POST answered 307 or
		// 308 and takes whatever answers there as the timestamp.
		pu, _ := url.Parse(u) // checked by WithTimestampAuthority
		o.TimestampAuthorities = append(o.TimestampAuthorities, sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{
			URL: u, Timeout: c.timeout, Retries: 1, Transport: nonceTransport{callerContext{ctx, origin.Pin(pu, c.transport)}},
		}))
	}
	for _, h := range c.embeddedTSAs {
		// The timeout bounds the embedded authority too: its handler
		// sees the request's context end, and the in-process transport
		// returns when it does.
		o.TimestampAuthorities = append(o.TimestampAuthorities, sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{
			URL: "http://embedded-tsa.invalid/api/v1/timestamp", Timeout: c.timeout, Transport: nonceTransport{callerContext{ctx, InProcessTransport(h)}},
		}))
	}
	for _, r := range c.rekors {
		o.TransparencyLogs = append(o.TransparencyLogs, c.newRekor(r))
	}
	return o
}

func (c *config) certSignerChecks() error {
	if len(c.tsaURLs)+len(c.embeddedTSAs) == 0 && !c.noTimeUnsafe {
		for _, r := range c.rekors {
			if r.version == 1 { // Rekor v1 returns an integrated timestamp
				return nil
			}
		}
		return ErrNoTimestamp
	}
	return nil
}

// NewKeySigner signs with a long-lived key: ECDSA P-256/P-384/P-521,
// Ed25519, or RSA of 2048, 3072 or 4096 bits (ErrWeakKey below 2048). The
// bundle carries a public-key hint (base64 SHA-256 of the PKIX key), not a
// certificate.
func NewKeySigner(key crypto.Signer, opts ...Option) (*BundleSigner, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil key", ErrSigner)
	}
	kp, err := newKeyPair(key)
	if err != nil {
		return nil, err
	}
	c, err := newConfig("NewKeySigner", opts)
	if err != nil {
		return nil, err
	}
	return &BundleSigner{
		keypair: func() (sign.Keypair, error) { return kp, nil },
		cfg:     c,
		log:     c.log,
		kind:    "key",
	}, nil
}

// NewCASigner signs with a fresh ECDSA P-256 key per signature and a
// short-lived certificate for it from issuer (typically the embedded CA:
// ca.(*CA).IssuerFor(identity)). A timestamp authority (or Rekor v1) is
// required (ErrNoTimestamp) so bundles outlive the certificate.
func NewCASigner(issuer CertificateIssuer, opts ...Option) (*BundleSigner, error) {
	if issuer == nil {
		return nil, fmt.Errorf("%w: nil certificate issuer", ErrSigner)
	}
	c, err := newConfig("NewCASigner", opts)
	if err != nil {
		return nil, err
	}
	if err := c.certSignerChecks(); err != nil {
		return nil, err
	}
	return &BundleSigner{
		keypair: ephemeral,
		certs:   issuerProvider{issuer, c.certCheck()},
		cfg:     c,
		log:     c.log,
		kind:    "ca",
	}, nil
}

// NewFulcioSigner signs keylessly: a fresh ECDSA P-256 key per signature,
// certified by the Fulcio at fulcioURL (its base URL) for the OIDC token from
// tokens, through sigstore-go's Fulcio client. A timestamp authority (or
// Rekor v1) is required (ErrNoTimestamp).
//
// The token is sent to fulcioURL's origin only: fulcioURL must be https
// (plain http only to a loopback host) without user info, query or
// fragment ([ErrConfig]), and a redirect is never followed (Go's client
// would re-send the token to the same host name on another port or scheme,
// or to a subdomain), so signing fails instead.
func NewFulcioSigner(fulcioURL string, tokens TokenSource, opts ...Option) (*BundleSigner, error) {
	if fulcioURL == "" || tokens == nil {
		return nil, fmt.Errorf("%w: Fulcio URL and token source are required", ErrSigner)
	}
	fu, err := url.Parse(fulcioURL)
	if err != nil || !origin.Secure(fu) || fu.User != nil || fu.RawQuery != "" || fu.ForceQuery || fu.Fragment != "" {
		return nil, fmt.Errorf("%w: NewFulcioSigner: Fulcio URL must be https://host[:port][/path] (plain http only to a loopback host), without user info, query or fragment", ErrConfig)
	}
	c, err := newConfig("NewFulcioSigner", opts)
	if err != nil {
		return nil, err
	}
	if err := c.certSignerChecks(); err != nil {
		return nil, err
	}
	return &BundleSigner{
		keypair:    ephemeral,
		fulcio:     fu,
		fulcioBase: fulcioURL,
		tokens:     tokens,
		cfg:        c,
		log:        c.log,
		kind:       "fulcio",
	}, nil
}

func ephemeral() (sign.Keypair, error) { return sign.NewEphemeralKeypair(nil) }

// SignPayload implements Signer.
func (s *BundleSigner) SignPayload(ctx context.Context, payloadType string, payload []byte) ([]byte, error) {
	if payloadType == "" {
		return nil, fmt.Errorf("%w: empty payload type", ErrSign)
	}
	kp, err := s.keypair()
	if err != nil {
		return nil, fmt.Errorf("%w: key: %w", ErrSign, err)
	}
	opts := s.cfg.bundleOptions(ctx)
	opts.Context = ctx
	opts.CertificateProvider = s.certs
	if s.tokens != nil {
		tok, err := s.tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: identity token: %w", ErrSign, err)
		}
		// The certificate must name the token's issuer (or the
		// configured identity): a CA that certifies the key for
		// someone else makes bundles under that identity.
		check := s.cfg.certCheck().forToken(tok)
		opts.CertificateProvider = fulcioProvider{sign.NewFulcio(&sign.FulcioOptions{
			BaseURL: s.fulcioBase, Timeout: s.cfg.timeout, Retries: 1,
			Transport: callerContext{ctx, origin.Pin(s.fulcio, s.cfg.transport)},
		}), check}
		opts.CertificateProviderOptions = &sign.CertificateProviderOptions{IDToken: tok}
	}
	content := &sign.DSSEData{Data: payload, PayloadType: payloadType}
	pb, err := sign.Bundle(content, kp, opts)
	if err == nil {
		err = checkTimestamps(pb)
	}
	if err == nil && opts.CertificateProvider != nil {
		err = checkTimesInValidity(pb.GetVerificationMaterial().GetCertificate().GetRawBytes(), bundleTimes(pb))
	}
	if err == nil {
		err = checkTrustedTimestamps(pb, s.cfg.trusted)
	}
	if err == nil {
		err = checkLogEntries(pb)
	}
	if err != nil {
		// sigstore-go quotes what the timestamp authority, the log or
		// Fulcio answered ("timestamp authority returned 400: <body>",
		// up to 1 MiB, and a refused token's status strings): bounded
		// and quoted before it reaches a log or the caller.
		err = clip.Error(err, maxServiceErrorText)
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// The caller's context ended: say so, whatever error the
			// transport reported for the request it interrupted.
			err = fmt.Errorf("%w (%w)", err, cerr)
		}
		s.log.DebugContext(ctx, "attest: signing failed", "signer", s.kind, "error", err)
		return nil, fmt.Errorf("%w: %w", ErrSign, err)
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: encode bundle: %w", ErrSign, err)
	}
	s.log.DebugContext(ctx, "attest: signed", "signer", s.kind, "payload_type", payloadType, "bytes", len(payload))
	return out, nil
}

// SigstoreCertificateProvider adapts a CertificateIssuer (such as the embedded
// CA's ca.(*CA).IssuerFor) to sigstore-go's sign.CertificateProvider, for
// callers who drive sigstore-go's sign.Bundle themselves. The bundle gets the
// leaf certificate; intermediates, if any, must be in the trusted root.
func SigstoreCertificateProvider(issuer CertificateIssuer) sign.CertificateProvider {
	return issuerProvider{issuer, certCheck{now: time.Now}}
}

// issuerProvider adapts a CertificateIssuer to sigstore-go.
type issuerProvider struct {
	issuer CertificateIssuer
	check  certCheck
}

func (p issuerProvider) GetCertificate(ctx context.Context, kp sign.Keypair, _ *sign.CertificateProviderOptions) ([]byte, error) {
	chain, err := p.issuer.IssueCertificate(ctx, kp.GetPublicKey())
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 || chain[0] == nil {
		return nil, errors.New("certificate issuer returned no certificate")
	}
	if err := p.check.check(chain[0].Raw, kp.GetPublicKey()); err != nil {
		return nil, err
	}
	return chain[0].Raw, nil
}

// checkLogEntries accepts pb only if the body of every transparency log
// entry in it holds its DSSE signature: sigstore-go puts in the bundle
// whatever entry the log answers with (for Rekor v1, after a 409, the entry
// at the Location the log names), so a log answering with another
// artifact's entry made a bundle that fails verification later, reported
// as a success now. The check reads the body only: the entry's proofs are
// for the verifier, which holds the log's key.
func checkLogEntries(pb *protobundle.Bundle) error {
	entries := pb.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil
	}
	sigs := pb.GetDsseEnvelope().GetSignatures()
	if len(sigs) != 1 {
		return fmt.Errorf("%w: %d signatures in the envelope, want 1", ErrForeignLogEntry, len(sigs))
	}
	want := base64.StdEncoding.EncodeToString(sigs[0].GetSig())
	for i, e := range entries {
		var body any
		if err := json.Unmarshal(e.GetCanonicalizedBody(), &body); err != nil || !holdsString(body, want) {
			return fmt.Errorf("%w: entry %d", ErrForeignLogEntry, i)
		}
	}
	return nil
}

// holdsString reports whether s is a string value somewhere in v, a
// decoded JSON value.
func holdsString(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return v == s
	case []any:
		for _, e := range v {
			if holdsString(e, s) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if holdsString(e, s) {
				return true
			}
		}
	}
	return false
}

// checkTimestamps accepts pb only if every RFC 3161 token in it is a
// granted SHA-256 timestamp over its DSSE signature, as sigstore-go asked
// for: sigstore-go keeps any parseable answer, so a timestamp authority
// answering with a token over another digest would make a bundle that
// fails verification later, reported as a success now.
func checkTimestamps(pb *protobundle.Bundle) error {
	tss := pb.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()
	if len(tss) == 0 {
		return nil
	}
	sigs := pb.GetDsseEnvelope().GetSignatures()
	if len(sigs) != 1 {
		return fmt.Errorf("%w: %d signatures in the envelope, want 1", ErrForeignTimestamp, len(sigs))
	}
	want := sha256.Sum256(sigs[0].GetSig())
	for i, ts := range tss {
		tok, err := timestamp.ParseResponse(ts.GetSignedTimestamp())
		if err != nil {
			return fmt.Errorf("%w: timestamp %d unreadable", ErrForeignTimestamp, i)
		}
		if tok.HashAlgorithm != crypto.SHA256 || !bytes.Equal(tok.HashedMessage, want[:]) {
			return fmt.Errorf("%w: timestamp %d covers another digest", ErrForeignTimestamp, i)
		}
	}
	return nil
}

// keyPair adapts a crypto.Signer to sigstore-go's sign.Keypair.
type keyPair struct {
	key     crypto.Signer
	details signature.AlgorithmDetails
	hint    []byte
	pemKey  string
}

func newKeyPair(key crypto.Signer) (*keyPair, error) {
	pub := key.Public()
	if err := x509ca.CheckKey(pub); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSigner, err)
	}
	details, err := signature.GetDefaultAlgorithmDetails(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrSigner, ErrUnsupportedKey, err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrSigner, ErrUnsupportedKey, err)
	}
	sum := sha256.Sum256(der)
	p, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrSigner, ErrUnsupportedKey, err)
	}
	return &keyPair{key: key, details: details, hint: []byte(base64.StdEncoding.EncodeToString(sum[:])), pemKey: string(p)}, nil
}

func (k *keyPair) GetHashAlgorithm() protocommon.HashAlgorithm { return k.details.GetProtoHashType() }
func (k *keyPair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return k.details.GetSignatureAlgorithm()
}
func (k *keyPair) GetHint() []byte                  { return bytes.Clone(k.hint) }
func (k *keyPair) GetPublicKey() crypto.PublicKey   { return k.key.Public() }
func (k *keyPair) GetPublicKeyPem() (string, error) { return k.pemKey, nil }
func (k *keyPair) GetKeyAlgorithm() string {
	switch k.details.GetKeyType() {
	case signature.ECDSA:
		return "ECDSA"
	case signature.RSA:
		return "RSA"
	case signature.ED25519:
		return "ED25519"
	}
	return ""
}

// SignData hashes data with the algorithm's hash (none for pure Ed25519) and
// signs it, returning the signature and what was signed.
func (k *keyPair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	h := k.details.GetHashType()
	msg := data
	var opts crypto.SignerOpts = h
	if h != crypto.Hash(0) {
		d := h.New()
		d.Write(data)
		msg = d.Sum(nil)
	}
	if _, ok := k.key.Public().(ed25519.PublicKey); ok {
		opts = crypto.Hash(0)
	}
	sig, err := k.key.Sign(rand.Reader, msg, opts)
	if err != nil {
		return nil, nil, err
	}
	return sig, msg, nil
}

package tsa

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
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/internal/x509ca"
)

// Defaults.
const (
	DefaultValidity = 5 * 365 * 24 * time.Hour
	// maxQuery bounds an RFC 3161 query.
	maxQuery = 16 << 10
)

// PolicyOID is the TSA policy written into every token.
var PolicyOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}

var (
	oidExtKeyUsage  = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

// Errors.
var (
	// ErrInvalidQuery: the request is not an acceptable RFC 3161 query. The
	// concrete error is a [*RejectionError] carrying the RFC 3161 rejection.
	ErrInvalidQuery = errors.New("tsa: invalid timestamp query")
	// ErrUnacceptedPolicy: the query asks for a TSA policy other than
	// [PolicyOID]; no token is issued under another policy than the one
	// asked for.
	ErrUnacceptedPolicy = fmt.Errorf("%w: unaccepted policy", ErrInvalidQuery)
	// ErrUnacceptedExtension: the query carries an extension; this TSA
	// supports none, and does not ignore what it does not understand.
	ErrUnacceptedExtension = fmt.Errorf("%w: unaccepted extension", ErrInvalidQuery)
	// ErrUnavailable: the TSA cannot sign now (outside its certificate's
	// validity, a signing failure, or the audit sink refused the event).
	ErrUnavailable = errors.New("tsa: cannot timestamp")
	// ErrConfig: New was given an invalid option.
	ErrConfig = errors.New("tsa: invalid configuration")
	// ErrExternalKey: the TSA signs with a caller's key ([WithSigner]) and
	// cannot rotate it itself.
	ErrExternalKey = errors.New("tsa: the key is held by an external signer; rotate it there")
	// ErrKeyMissing: the [WithDir] directory holds a chain or retired
	// chains but no tsa.key. New refuses it rather than create a new TSA
	// over the chains that existing timestamps verify against.
	ErrKeyMissing = x509ca.ErrKeyMissing
	// ErrUnsafeKeyFile: the [WithDir] directory's tsa.key is a symbolic
	// link, not a regular file, not owned by the process's user, or
	// readable or writable by group or others.
	ErrUnsafeKeyFile = x509ca.ErrUnsafeKeyFile
)

// FailureInfo is an RFC 3161 PKIFailureInfo bit (§2.4.2).
type FailureInfo int

// The failure infos this TSA answers with.
const (
	FailBadAlg              FailureInfo = 0  // unrecognized or unsupported algorithm
	FailBadRequest          FailureInfo = 2  // transaction not permitted or supported
	FailBadDataFormat       FailureInfo = 5  // the data submitted has the wrong format
	FailUnacceptedPolicy    FailureInfo = 15 // the requested TSA policy is not supported
	FailUnacceptedExtension FailureInfo = 16 // the requested extension is not supported
)

// RejectionError is a query the TSA rejects. Response is the DER
// TimeStampResp that RFC 3161 prescribes for it (status rejection with
// Info as failInfo), which [TSA.Handler] sends to the client.
type RejectionError struct {
	Info     FailureInfo
	Reason   string
	Response []byte
	kind     error
}

func (e *RejectionError) Error() string {
	return fmt.Sprintf("%v: %s (RFC 3161 failInfo %d)", e.kind, e.Reason, e.Info)
}

// Unwrap returns the sentinel: [ErrUnacceptedPolicy],
// [ErrUnacceptedExtension] or [ErrInvalidQuery].
func (e *RejectionError) Unwrap() error { return e.kind }

func reject(kind error, info FailureInfo, format string, args ...any) error {
	resp, err := timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.FailureInfo(info))
	if err != nil {
		// Marshalling a fixed structure does not fail; if it ever did, the
		// query is still rejected, without a DER answer.
		resp = nil
	}
	return &RejectionError{Info: info, Reason: fmt.Sprintf(format, args...), Response: resp, kind: kind}
}

// File names under the WithDir directory.
const (
	keyFile     = "tsa.key"
	chainFile   = "tsa-chain.pem"
	retiredFile = "tsa-retired.json"
)

// Authority is one signing certificate chain of the TSA (leaf first, root
// last) and the period in which it signed. End is zero for the current one.
type Authority struct {
	Chain      []*x509.Certificate
	Start, End time.Time
}

// TSA is an embedded RFC 3161 timestamp authority. It is safe for
// concurrent use.
type TSA struct {
	config // fixed at New

	mu      sync.RWMutex
	key     crypto.Signer
	chain   []*x509.Certificate // leaf, root
	retired []Authority
}

// config is what the options set.
type config struct {
	clock         func() time.Time
	validity      time.Duration
	dir           string
	log           *slog.Logger
	sink          audit.Sink
	signer        crypto.Signer // WithSigner: the external key and its chain
	signerChain   []*x509.Certificate
	retiredChains []Authority // WithRetiredAuthorities
}

// Option configures New. An option given an unusable value, or a nil
// Option, makes New fail with [ErrConfig].
type Option func(*config) error

// WithClock sets the time source (default time.Now); timestamps carry its time.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithValidity sets the lifetime of a new signing chain (default five years).
func WithValidity(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithValidity: %v, want a positive duration", d)
		}
		c.validity = d
		return nil
	}
}

// WithDir persists the TSA in dir (created 0700): tsa.key (PKCS#8 PEM,
// 0600), tsa-chain.pem and tsa-retired.json, each written atomically. An
// existing TSA there is loaded; a new one is created and written only when
// none of the three files exists. tsa.key must be a regular file (not a
// symbolic link) owned by the process's user with no group or other
// permissions ([ErrUnsafeKeyFile]); a chain or retired chains without
// tsa.key are refused ([ErrKeyMissing]), never overwritten. To start a new
// TSA deliberately, move the directory away (keep tsa-chain.pem and
// tsa-retired.json: they verify what the old TSA signed) and use an empty
// one.
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

// WithSigner makes the TSA sign with s, a key the caller holds (a KMS or
// HSM key, or any crypto.Signer), under chain (signing certificate first,
// root last). The TSA calls only s.Public and s.Sign. Replicas given the
// same signer and chain issue timestamps under the same authority, so one
// exported trusted root verifies them all and a restart invalidates
// nothing; make the chain once with [NewCertificateChain] (or your PKI) and
// distribute it with the configuration, as timestamp-authority's KMS
// signer takes its chain file.
//
// The signing certificate must be a leaf for s.Public() whose only
// extended key usage is a critical timeStamping (RFC 3161 §2.3), certified
// by the chain, and s must produce a signature that verifies under it now
// (New signs a challenge); otherwise New fails with [ErrConfig]. A TSA with
// a signer persists nothing (WithDir is refused with it) and cannot rotate
// its key ([TSA.Rotate] returns [ErrExternalKey]): rotate in the KMS,
// restart with the new signer and chain, and pass the old chain to
// [WithRetiredAuthorities].
func WithSigner(s crypto.Signer, chain []*x509.Certificate) Option {
	return func(c *config) error {
		if s == nil || slices.Contains(chain, nil) {
			return errors.New("WithSigner: nil signer or certificate")
		}
		if err := checkChain(chain); err != nil {
			return fmt.Errorf("WithSigner: %w", err)
		}
		c.signer, c.signerChain = s, slices.Clone(chain)
		return nil
	}
}

// WithRetiredAuthorities adds chains the TSA signed under before (newest
// first, each with the period it signed in) to [TSA.Authorities] and so to
// the exported trusted root, for a rotation done outside the TSA (see
// [WithSigner]).
func WithRetiredAuthorities(as ...Authority) Option {
	return func(c *config) error {
		for _, a := range as {
			if len(a.Chain) == 0 || slices.Contains(a.Chain, nil) || a.End.IsZero() || a.End.Before(a.Start) {
				return errors.New("WithRetiredAuthorities: each authority needs a chain and an End not before its Start")
			}
		}
		c.retiredChains = append(c.retiredChains, as...)
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

// WithAudit records every issued timestamp in sink (action
// "tsa.timestamp.issue": token serial, hash algorithm and message
// imprint; never the token or a key). A timestamp whose event the sink
// refuses is not returned: Timestamp fails with [ErrUnavailable].
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return errors.New("WithAudit: nil sink")
		}
		c.sink = sink
		return nil
	}
}

// New creates a TSA: in memory by default, persisted with WithDir.
func New(opts ...Option) (*TSA, error) {
	t := &TSA{config: config{clock: time.Now, validity: DefaultValidity, log: slog.New(slog.DiscardHandler)}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&t.config); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if t.signer == nil && len(t.retiredChains) > 0 {
		return nil, fmt.Errorf("%w: WithRetiredAuthorities is for a TSA with WithSigner (WithDir keeps its own retired chains)", ErrConfig)
	}
	if t.signer != nil {
		if t.dir != "" {
			return nil, fmt.Errorf("%w: WithDir persists a key the TSA generates; with WithSigner the key stays in the signer", ErrConfig)
		}
		if err := x509ca.CheckSigner(t.signer, t.signerChain[0]); err != nil {
			return nil, fmt.Errorf("%w: WithSigner: %w", ErrConfig, err)
		}
		t.key, t.chain, t.retired = t.signer, t.signerChain, slices.Clone(t.retiredChains)
		return t, nil
	}
	if t.dir != "" {
		loaded, err := t.load()
		if err != nil {
			return nil, err
		}
		if loaded {
			return t, nil
		}
	}
	if err := t.newChain(); err != nil {
		return nil, err
	}
	return t, t.save()
}

// newChain makes fresh root and signing keys and their chain; the root key
// is not kept: a rotation makes a new chain.
func (t *TSA) newChain() error {
	rootKey, err := x509ca.NewKey()
	if err != nil {
		return err
	}
	key, err := x509ca.NewKey()
	if err != nil {
		return err
	}
	chain, err := newChain(key, rootKey, "ztci embedded TSA", t.clock(), t.validity)
	if err != nil {
		return err
	}
	t.key, t.chain = key, chain
	return nil
}

// NewCertificateChain makes the chain (leaf, root) for a TSA signing key
// held by s: a root named "<cn> root" self-signed by rootSigner, and a leaf
// for s.Public() with the critical timeStamping-only extended key usage RFC
// 3161 §2.3 requires, both valid from notBefore for validity. It is what
// [WithSigner] takes, made once and shared by every replica; rootSigner can
// be set aside (or destroyed) afterwards.
func NewCertificateChain(s, rootSigner crypto.Signer, cn string, notBefore time.Time, validity time.Duration) ([]*x509.Certificate, error) {
	if s == nil || rootSigner == nil || cn == "" || validity <= 0 {
		return nil, fmt.Errorf("%w: NewCertificateChain needs two signers, a name and a positive validity", ErrConfig)
	}
	chain, err := newChain(s, rootSigner, cn, notBefore, validity)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return chain, nil
}

func newChain(key, rootKey crypto.Signer, cn string, notBefore time.Time, validity time.Duration) ([]*x509.Certificate, error) {
	if err := x509ca.CheckKey(key.Public()); err != nil {
		return nil, err
	}
	root, err := x509ca.NewRoot(rootKey, pkix.Name{CommonName: cn + " root", Organization: []string{"ztci"}}, notBefore, validity, 0)
	if err != nil {
		return nil, err
	}
	serial, err := x509ca.Serial()
	if err != nil {
		return nil, err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
	if err != nil {
		return nil, err
	}
	skid, err := x509ca.KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"ztci"}},
		NotBefore:             root.NotBefore,
		NotAfter:              root.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SubjectKeyId:          skid,
		ExtraExtensions:       []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, key.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{leaf, root}, nil
}

// checkChain accepts a chain a TSA can sign under: a leaf (not a CA) for
// digital signatures whose only extended key usage is a critical
// timeStamping, certified by the rest of the chain up to a self-signed root.
func checkChain(chain []*x509.Certificate) error {
	if len(chain) < 2 {
		return errors.New("the chain needs the signing certificate and at least its root")
	}
	leaf, root := chain[0], chain[len(chain)-1]
	if leaf.IsCA || leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return errors.New("the signing certificate must be a leaf with key usage digitalSignature")
	}
	critical := false
	for _, e := range leaf.Extensions {
		if e.Id.Equal(oidExtKeyUsage) {
			critical = e.Critical
		}
	}
	if !critical || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(leaf.UnknownExtKeyUsage) != 0 {
		return errors.New("the signing certificate's extended key usage must be timeStamping only, critical (RFC 3161 §2.3)")
	}
	if err := root.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("the last certificate is not a self-signed root: %w", err)
	}
	// In order, each certified by the next: the chain is published as it
	// is, in the trusted root, so a certificate that is not on the path
	// is refused rather than skipped.
	for i := range len(chain) - 1 {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return fmt.Errorf("certificate %d is not certified by certificate %d: %w", i, i+1, err)
		}
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	for _, c := range chain[1 : len(chain)-1] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: leaf.NotBefore,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil {
		return fmt.Errorf("the chain does not certify the signing certificate: %w", err)
	}
	return nil
}

// store is where WithDir keeps the TSA: the signing key, its chain (leaf,
// root) and the retired chains.
func (t *TSA) store() x509ca.Store {
	return x509ca.Store{Dir: t.dir, KeyFile: keyFile, ChainFile: chainFile, RetiredFile: retiredFile}
}

func (t *TSA) load() (bool, error) {
	st, found, err := t.store().Load()
	if err != nil {
		return false, fmt.Errorf("tsa: load: %w", err)
	}
	if !found {
		return false, nil
	}
	if len(st.Chain) != 2 {
		return false, fmt.Errorf("tsa: load: %s holds %d certificates, want leaf and root", chainFile, len(st.Chain))
	}
	t.key, t.chain = st.Key, st.Chain
	for _, r := range st.Retired {
		t.retired = append(t.retired, Authority{Chain: r.Chain, Start: r.Start, End: r.End})
	}
	return true, nil
}

// save writes the TSA's state; callers hold mu or own t exclusively.
func (t *TSA) save() error {
	if t.dir == "" {
		return nil
	}
	st := x509ca.State{Key: t.key, Chain: t.chain}
	for _, r := range t.retired {
		st.Retired = append(st.Retired, x509ca.Retired{Chain: r.Chain, Start: r.Start, End: r.End})
	}
	if err := t.store().Save(st); err != nil {
		return fmt.Errorf("tsa: save: %w", err)
	}
	return nil
}

// Rotate replaces the signing key and chain, keeping the old chain (not its
// key) with End set to now so earlier timestamps still verify.
func (t *TSA) Rotate() error {
	if t.signer != nil {
		return ErrExternalKey
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old, oldKey, oldRetired := t.chain, t.key, t.retired
	now := t.clock()
	if err := t.newChain(); err != nil {
		return fmt.Errorf("tsa: rotate: %w", err)
	}
	t.retired = append([]Authority{{Chain: old, Start: old[0].NotBefore, End: now}}, oldRetired...)
	if err := t.save(); err != nil {
		t.chain, t.key, t.retired = old, oldKey, oldRetired
		return err
	}
	t.log.Info("tsa: rotated signing chain", "new_serial", t.chain[0].SerialNumber.String())
	return nil
}

// Authorities returns the current chain first, then retired ones, newest first.
func (t *TSA) Authorities() []Authority {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append([]Authority{{Chain: t.chain, Start: t.chain[0].NotBefore}}, t.retired...)
}

// CertChain returns the current signing chain, leaf first, root last.
func (t *TSA) CertChain() []*x509.Certificate {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append([]*x509.Certificate(nil), t.chain...)
}

// Timestamp answers a DER-encoded RFC 3161 TimeStampReq with a DER-encoded
// TimeStampResp. Only SHA-256, SHA-384 and SHA-512 imprints are accepted,
// in a query that is the DER encoding of what it says (hash algorithm
// parameters absent or NULL); any other is rejected with badDataFormat. The
// signing certificate is included when the query asks for it (certReq).
//
// The token's genTime comes from the injected clock; the CMS signing-time
// attribute comes from the wall clock (digitorus/pkcs7 sets it and checks it
// against the certificate), so the signing certificate must be valid at both.
func (t *TSA) Timestamp(ctx context.Context, query []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(query) > maxQuery {
		return nil, reject(ErrInvalidQuery, FailBadRequest, "%d bytes, limit %d", len(query), maxQuery)
	}
	req, err := timestamp.ParseRequest(query)
	if err != nil {
		return nil, reject(ErrInvalidQuery, FailBadDataFormat, "%v", err)
	}
	// digitorus/timestamp discards the version; RFC 3161 defines only v1,
	// and a query of another version may mean what this TSA does not do.
	if v, ok := queryVersion(query); !ok || v != 1 {
		return nil, reject(ErrInvalidQuery, FailBadRequest, "TimeStampReq version %d, only v1 (1) is defined", v)
	}
	if err := strictQuery(query); err != nil {
		return nil, reject(ErrInvalidQuery, FailBadDataFormat, "%v", err)
	}
	switch req.HashAlgorithm {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return nil, reject(ErrInvalidQuery, FailBadAlg, "hash algorithm %v not accepted", req.HashAlgorithm)
	}
	if len(req.HashedMessage) != req.HashAlgorithm.Size() {
		return nil, reject(ErrInvalidQuery, FailBadDataFormat, "imprint of %d bytes for %v", len(req.HashedMessage), req.HashAlgorithm)
	}
	// RFC 3161 §2.4.1: reqPolicy names the policy the token must be issued
	// under. Issuing under ours instead would give the client a token it
	// did not ask for; it gets a rejection it can act on.
	if len(req.TSAPolicyOID) > 0 && !req.TSAPolicyOID.Equal(PolicyOID) {
		return nil, reject(ErrUnacceptedPolicy, FailUnacceptedPolicy, "policy %v requested, this TSA issues under %v only", req.TSAPolicyOID, PolicyOID)
	}
	if len(req.Extensions) > 0 {
		return nil, reject(ErrUnacceptedExtension, FailUnacceptedExtension, "extension %v requested, this TSA supports none", req.Extensions[0].Id)
	}
	t.mu.RLock()
	key, chain := t.key, t.chain
	t.mu.RUnlock()
	leaf := chain[0]
	now := t.clock()
	// Every certificate of the chain, not only the signing one: a verifier
	// checks the chain at genTime, so a token issued after an intermediate
	// or the root expired (a WithSigner chain may have them expire before
	// the leaf; checkChain verifies it at the leaf's NotBefore) verifies
	// nowhere, and is not issued.
	for i, c := range chain {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return nil, fmt.Errorf("%w: certificate %d of the signing chain valid %s to %s, now %s", ErrUnavailable, i,
				c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339), now.Format(time.RFC3339))
		}
	}
	// No SerialNumber: digitorus/timestamp ignores it and draws its own
	// (160 random bits); the audit event reads it back from the token.
	ts := &timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              now.UTC(),
		Accuracy:          time.Second,
		Policy:            PolicyOID,
		Nonce:             cloneInt(req.Nonce),
		AddTSACertificate: req.Certificates,
	}
	resp, err := ts.CreateResponseWithOpts(leaf, key, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if t.sink != nil {
		issued, err := timestamp.ParseResponse(resp)
		if err != nil {
			return nil, fmt.Errorf("%w: reading back the token: %w", ErrUnavailable, err)
		}
		if err := t.sink.Write(ctx, issuedEvent(issued, leaf)); err != nil {
			return nil, fmt.Errorf("%w: timestamp %x not audited: %w", ErrUnavailable, issued.SerialNumber, err)
		}
	}
	return resp, nil
}

// issuedEvent describes an issued timestamp by its serial, the imprint it
// covers and the signing certificate, never by the token itself.
func issuedEvent(ts *timestamp.Timestamp, leaf *x509.Certificate) audit.Event {
	serial := fmt.Sprintf("%x", ts.SerialNumber)
	return audit.Event{
		ID:       "tsa-timestamp-" + serial,
		Time:     ts.Time,
		Source:   "ztci/attest/tsa",
		Action:   "tsa.timestamp.issue",
		Outcome:  audit.OutcomeSuccess,
		Actor:    audit.Actor{ID: "anonymous", Kind: "client"},
		Resource: "timestamp:" + serial,
		Attributes: map[string]string{
			"serial":          serial,
			"hash_algorithm":  ts.HashAlgorithm.String(),
			"message_imprint": hex.EncodeToString(ts.HashedMessage),
			"policy":          ts.Policy.String(),
			"signer_serial":   fmt.Sprintf("%x", leaf.SerialNumber),
		},
	}
}

// queryVersion reads the version, the first member of a TimeStampReq
// that timestamp.ParseRequest has accepted.
func queryVersion(der []byte) (int, bool) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence {
		return 0, false
	}
	var v int
	if _, err := asn1.Unmarshal(seq.Bytes, &v); err != nil {
		return 0, false
	}
	return v, true
}

// tsReq is a TimeStampReq (RFC 3161 §2.4.1) as strictQuery reads it,
// keeping the hash algorithm's parameters as sent.
type tsReq struct {
	Version        int
	MessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	ReqPolicy  asn1.ObjectIdentifier `asn1:"optional"`
	Nonce      *big.Int              `asn1:"optional"`
	CertReq    bool                  `asn1:"optional,default:false"`
	Extensions []pkix.Extension      `asn1:"tag:0,optional"`
}

// asn1NULL is the DER NULL, the only parameters a SHA-2 AlgorithmIdentifier
// may carry (RFC 5754 §2: absent or NULL).
var asn1NULL = []byte{0x05, 0x00}

// strictQuery accepts a query that timestamp.ParseRequest has accepted only
// if it is the DER encoding of what it says: the hash algorithm's
// parameters absent or NULL (digitorus/timestamp ignores them, so anything
// rode along), and the whole query the bytes its parsed value re-encodes
// to (no certReq FALSE spelt out, which DER omits, nor any other BER
// liberty encoding/asn1 lets through). Two spellings of one query would
// let a query pass a filter that reads the bytes, and be logged or
// replayed as another one.
func strictQuery(der []byte) error {
	var q tsReq
	rest, err := asn1.Unmarshal(der, &q)
	if err != nil || len(rest) != 0 {
		return errors.New("TimeStampReq is not one DER value")
	}
	if p := q.MessageImprint.HashAlgorithm.Parameters.FullBytes; len(p) != 0 && !slices.Equal(p, asn1NULL) {
		return errors.New("hash algorithm parameters must be absent or NULL")
	}
	again, err := asn1.Marshal(q)
	if err != nil || !slices.Equal(again, der) {
		return errors.New("TimeStampReq is not DER encoded")
	}
	return nil
}

func cloneInt(i *big.Int) *big.Int {
	if i == nil {
		return nil
	}
	return new(big.Int).Set(i)
}

// Handler serves the Sigstore timestamp-authority HTTP API, so sigstore-go's
// sign.TimestampAuthority (and cosign) work against it unchanged:
//
//	POST /api/v1/timestamp            body: DER TimeStampReq
//	                                  (application/timestamp-query)
//	                                  → 201, DER TimeStampResp
//	GET  /api/v1/timestamp/certchain  → PEM chain, leaf first
//
// A query declared as another type than application/timestamp-query, or
// with a content coding, is refused with 415 unread (one without a
// Content-Type is read). The query is read within [BodyTimeout] (408 after
// it) and 16 KiB (400 beyond, at once for a declared Content-Length over
// it), and the connection of a query not read to its end is closed, so a
// client that stalls mid-body holds its connection for BodyTimeout, not for
// ever; stamping is bounded by [RequestTimeout]. Serve the handler with
// [NewServer], whose per-connection deadlines bound what a client that
// sends nothing can hold.
func (t *TSA) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/timestamp", func(w http.ResponseWriter, r *http.Request) {
		body, status, msg := readQuery(w, r)
		if status != 0 {
			t.log.Info("tsa: refused request", "status", status, "reason", msg)
			http.Error(w, msg, status)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
		defer cancel()
		resp, err := t.Timestamp(ctx, body)
		var rej *RejectionError
		switch {
		case errors.As(err, &rej) && rej.Response != nil:
			// The RFC 3161 answer: a TimeStampResp with status rejection
			// and the failInfo, so clients learn why (e.g. unacceptedPolicy).
			t.log.Info("tsa: rejected query", "error", err)
			w.Header().Set("Content-Type", "application/timestamp-reply")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(rej.Response)
			return
		case errors.Is(err, ErrInvalidQuery):
			t.log.Info("tsa: rejected query", "error", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case err != nil:
			t.log.Error("tsa: cannot timestamp", "error", err)
			http.Error(w, "timestamp authority unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(resp)
	})
	mux.HandleFunc("GET /api/v1/timestamp/certchain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pem-certificate-chain")
		_, _ = w.Write(x509ca.EncodeCerts(t.CertChain()...))
	})
	return mux
}

// String redacts the TSA's key (which may be a Signer holding the private
// key in its own value, an Ed25519 key for one).
func (t *TSA) String() string { return "tsa.TSA{key:" + redact.Marker + "}" }

// GoString is String.
func (t *TSA) GoString() string { return t.String() }

// Format writes String for every verb, so that no verb reaches the key by
// reflection.
func (t *TSA) Format(f fmt.State, _ rune) { redact.Format(f, t.String()) }

// LogValue is String.
func (t *TSA) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON is String as a JSON string.
func (t *TSA) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

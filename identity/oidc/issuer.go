package oidc

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/origin"
	"github.com/ztci/ztci/internal/randid"
	"github.com/ztci/ztci/internal/redact"
)

// Defaults of the issuer.
const (
	DefaultTTL = 10 * time.Minute
	// retireGrace is added to the TTL when a rotated-out key is kept in the
	// JWKS, covering verifier clock skew.
	retireGrace = time.Minute
)

// Job describes the job a token is minted for.
type Job struct {
	// Subject is the token's sub. When empty it is derived GitHub-style:
	// "repo:<repository>:environment:<env>" for a job with an environment,
	// else "repo:<repository>:ref:<ref>" ("repo:<repository>" without a
	// ref). A CA writes the subject into the signing certificate's SAN, so
	// that default makes each branch a different signer; [WorkflowSubject]
	// names the workflow instead. Nothing in it is escaped (consumers
	// compare it with subjects written for GitHub), so a Repository holding
	// ':' is refused ([ErrConfig]): "a/b:ref:x" with no ref and "a/b" on
	// ref "x" would share one subject. With a Repository free of ':' the
	// subject names one (repository, environment or ref) alone, whatever
	// ':' the environment or ref holds; set Subject for any other naming.
	Subject string
	// Claims are the job's CI claims, written under GitHub-compatible names
	// (repository, repository_id, repository_owner_id, ref, ref_protected,
	// sha, workflow, workflow_ref, job_workflow_ref, job, run_id,
	// run_attempt, event_name, actor, runner_environment, environment) plus
	// platform and, for a job with an environment, GitLab's
	// environment_protected ("true"/"false"; EnvironmentProtected without
	// an Environment is refused, [ErrConfig]), so Fulcio's ci-provider templates, Vault's bound_claims and
	// cloud STS attribute mappings written for GitHub Actions work
	// unchanged.
	Claims identity.Claims
}

func (j Job) subject() (string, error) {
	switch {
	case j.Subject != "":
		return j.Subject, nil
	case j.Claims.Repository == "":
		return "", fmt.Errorf("%w: job needs a Subject or a Repository", ErrConfig)
	case strings.Contains(j.Claims.Repository, ":"):
		// The first ':' after "repo:" must end the repository, or two
		// jobs' subjects (and so their certificates and grants) coincide.
		return "", fmt.Errorf("%w: repository %q holds ':', which would make the default subject ambiguous: set Job.Subject", ErrConfig, j.Claims.Repository)
	case j.Claims.Environment != "":
		return "repo:" + j.Claims.Repository + ":environment:" + j.Claims.Environment, nil
	case j.Claims.Ref != "":
		return "repo:" + j.Claims.Repository + ":ref:" + j.Claims.Ref, nil
	}
	return "repo:" + j.Claims.Repository, nil
}

// jobClaims is the token payload.
type jobClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud"`
	Expiry    int64    `json:"exp"`
	NotBefore int64    `json:"nbf"`
	IssuedAt  int64    `json:"iat"`
	ID        string   `json:"jti"`

	Platform          string `json:"platform,omitempty"`
	Repository        string `json:"repository,omitempty"`
	RepositoryID      string `json:"repository_id,omitempty"`
	RepositoryOwnerID string `json:"repository_owner_id,omitempty"`
	Ref               string `json:"ref,omitempty"`
	RefProtected      string `json:"ref_protected,omitempty"`
	SHA               string `json:"sha,omitempty"`
	Workflow          string `json:"workflow,omitempty"`
	WorkflowRef       string `json:"workflow_ref,omitempty"`
	JobWorkflowRef    string `json:"job_workflow_ref,omitempty"`
	Job               string `json:"job,omitempty"`
	RunID             string `json:"run_id,omitempty"`
	RunAttempt        string `json:"run_attempt,omitempty"`
	EventName         string `json:"event_name,omitempty"`
	Actor             string `json:"actor,omitempty"`
	RunnerEnvironment string `json:"runner_environment,omitempty"`
	Environment       string `json:"environment,omitempty"`

	EnvironmentProtected string `json:"environment_protected,omitempty"`
}

// maxClaimsSize bounds a minted claim set, leaving room within
// DefaultMaxTokenSize for the header, the signature and base64url.
const maxClaimsSize = DefaultMaxTokenSize / 2

// checkText refuses a claim Mint would write other than as given: invalid
// UTF-8, which encoding/json replaces with U+FFFD (so "main\xff" and
// "main\xfe" would sign as one ref), and control or line-separator
// characters, which consumers write into certificates and log lines (a
// newline in sub forges a line in a relying party's log). Errors wrap
// [ErrConfig] and quote the claim's name, not its value.
func (c *jobClaims) checkText() error {
	text := [...]struct{ name, v string }{
		{"sub", c.Subject}, {"platform", c.Platform}, {"repository", c.Repository},
		{"repository_id", c.RepositoryID}, {"repository_owner_id", c.RepositoryOwnerID},
		{"ref", c.Ref}, {"sha", c.SHA}, {"workflow", c.Workflow}, {"workflow_ref", c.WorkflowRef},
		{"job", c.Job}, {"run_id", c.RunID}, {"run_attempt", c.RunAttempt}, {"event_name", c.EventName},
		{"actor", c.Actor}, {"runner_environment", c.RunnerEnvironment}, {"environment", c.Environment},
	}
	for _, t := range text {
		if !printableText(t.v) {
			return fmt.Errorf("%w: claim %s holds invalid UTF-8 or a control character", ErrConfig, t.name)
		}
	}
	for _, a := range c.Audience {
		if !printableText(a) {
			return fmt.Errorf("%w: an audience holds invalid UTF-8 or a control character", ErrConfig)
		}
	}
	return nil
}

// printableText reports whether s is valid UTF-8 without control
// characters (C0, DEL, C1) or the line and paragraph separators.
func printableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	})
}

type signingKey struct {
	alg         Algorithm
	signer      jose.Signer
	public      jose.JSONWebKey
	retireUntil time.Time // zero for the active key
	// notBefore is when the key starts (or started) signing.
	notBefore time.Time
	// publishedUntil is the NotAfter the key store last acknowledged for
	// this key; zero when not published. Guarded by Issuer.mu.
	publishedUntil time.Time
	// revoked: the key store refused the key as revoked; it never signs,
	// is never served and is never published again. Guarded by Issuer.mu.
	revoked bool
}

// Issuer mints short-lived job tokens and publishes the keys that verify
// them. It is safe for concurrent use and starts no goroutines.
type Issuer struct {
	url string
	cfg config

	mu       sync.RWMutex
	active   *signingKey
	next     *signingKey // published ahead of rotation; nil without WithRotation
	rotateAt time.Time   // when next becomes active; zero without WithRotation
	retired  []*signingKey

	maint       sync.Mutex // serializes rotation and publishing (fleet.go); taken before mu
	pubFailedAt time.Time  // when a publish last failed; guarded by maint
	pubErr      error      // why; guarded by maint

	validatedOnce sync.Once
	validated     *validatedKeys // fleet records already checked (fleet.go)
}

// NewIssuer returns an issuer for issuerURL (the iss claim and the base of
// the discovery document; https, or http on loopback for tests) with a
// fresh in-memory signing key, or the caller's [crypto.Signer] given with
// [WithSigner]. With [WithKeyStore] it shares its public keys with the
// other replicas of a fleet; with [WithRotation] it rotates on a schedule.
func NewIssuer(issuerURL string, opts ...Option) (*Issuer, error) {
	u, err := checkIssuerURL(issuerURL)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(issuerURL, "/") {
		return nil, fmt.Errorf("%w: issuer URL %q must not end in a slash", ErrConfig, issuerURL)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && origin.Loopback(u)) {
		return nil, fmt.Errorf("%w: issuer URL %q must use https (http only on loopback)", ErrConfig, issuerURL)
	}
	cfg := config{logger: slog.New(slog.DiscardHandler), now: time.Now, ttl: DefaultTTL}
	if err := cfg.apply(forIssuer, opts); err != nil {
		return nil, err
	}
	if err := cfg.checkFleet(); err != nil {
		return nil, err
	}
	var k *signingKey
	if cfg.signer != nil {
		k, err = newSignerKey(cfg.signer, cfg.signerKID, cfg.alg)
	} else {
		cfg.alg = cmp.Or(cfg.alg, ES256)
		k, err = newSigningKey(cfg.alg)
	}
	if err != nil {
		return nil, err
	}
	cfg.alg = k.alg
	i := &Issuer{url: issuerURL, cfg: cfg, active: k}
	k.notBefore = cfg.now()
	if cfg.rotation > 0 {
		i.rotateAt = k.notBefore.Add(cfg.rotation)
	}
	return i, nil
}

func newSigningKey(alg Algorithm) (*signingKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256, ES384, ES512:
		priv, err = ecdsa.GenerateKey(alg.curve(), rand.Reader)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case RS256, RS384, RS512, PS256, PS384, PS512:
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	default:
		return nil, fmt.Errorf("%w: unsupported algorithm %q", ErrConfig, alg)
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: generate %s key: %w", alg, err)
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: string(alg), Use: "sig"}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("oidc: key thumbprint: %w", err)
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: priv, KeyID: pub.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("oidc: signer: %w", err)
	}
	return &signingKey{alg: alg, signer: signer, public: pub}, nil
}

// checkIssuerURL parses an issuer URL (the iss claim) and refuses what
// OIDC Discovery §3 rules out: anything but an absolute http(s) URL, and a
// query or fragment, even an empty one ("?" or "#" alone passes url.Parse's
// RawQuery and Fragment, and would move the discovery path into it). It
// refuses userinfo too: a credential in the issuer URL would be sent to the
// issuer and quoted by every rejection, log line and audit event that
// names the issuer. Its errors never quote the userinfo.
func checkIssuerURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: issuer URL does not parse", ErrConfig)
	}
	if u.User != nil {
		u.User = nil
		return nil, fmt.Errorf("%w: issuer URL %q must not hold userinfo (user:password@)", ErrConfig, u.String())
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(s, "?#") {
		return nil, fmt.Errorf("%w: issuer URL %q must be an absolute http(s) URL without query or fragment", ErrConfig, s)
	}
	return u, nil
}

// URL returns the issuer URL (the iss claim).
func (i *Issuer) URL() string { return i.url }

// Mint signs a token for job, valid for the issuer's TTL, for the given
// audience (not empty). More than one audience is refused ([ErrConfig])
// unless the issuer was built [WithMultipleAudiences]: every audience of
// such a token could replay it at the others. A subject, audience or claim
// that is not valid UTF-8 or holds a control character (C0, DEL, C1) or
// U+2028/U+2029, and a claim set over 8 KiB, are refused ([ErrConfig]):
// the token would say something else than given, or carry a forged line
// into its consumers' logs. The token is registered with the
// masker and, when configured, an audit event (jti, subject, audiences) is
// written before Mint returns; if auditing fails, no token is returned.
func (i *Issuer) Mint(ctx context.Context, job Job, audience string, more ...string) (Token, error) {
	aud := append([]string{audience}, more...)
	if slices.Contains(aud, "") {
		return Token{}, fmt.Errorf("%w: empty audience", ErrConfig)
	}
	if len(more) > 0 && !i.cfg.multiAud {
		// Each audience could replay the token at the others.
		return Token{}, fmt.Errorf("%w: %d audiences: mint one token per audience, or build the issuer WithMultipleAudiences", ErrConfig, len(aud))
	}
	if job.Claims.EnvironmentProtected && job.Claims.Environment == "" {
		// Written without the environment it qualifies, the flag would
		// read as any environment's being protected.
		return Token{}, fmt.Errorf("%w: EnvironmentProtected set without an Environment", ErrConfig)
	}
	sub, err := job.subject()
	if err != nil {
		return Token{}, err
	}
	now := i.cfg.now()
	exp := now.Add(i.cfg.ttl)
	c := jobClaims{
		Issuer: i.url, Subject: sub, Audience: aud,
		Expiry: exp.Unix(), NotBefore: now.Unix(), IssuedAt: now.Unix(),
		ID:                randid.New(),
		Platform:          job.Claims.Platform,
		Repository:        job.Claims.Repository,
		RepositoryID:      job.Claims.RepositoryID,
		RepositoryOwnerID: job.Claims.RepositoryOwnerID,
		Ref:               job.Claims.Ref,
		SHA:               job.Claims.Commit,
		Workflow:          job.Claims.Workflow,
		WorkflowRef:       job.Claims.WorkflowRef,
		JobWorkflowRef:    job.Claims.WorkflowRef,
		Job:               job.Claims.Job,
		RunID:             job.Claims.RunID,
		RunAttempt:        job.Claims.RunAttempt,
		EventName:         job.Claims.Event,
		Actor:             job.Claims.Actor,
		RunnerEnvironment: job.Claims.Runner,
		Environment:       job.Claims.Environment,
	}
	if job.Claims.Repository != "" {
		c.RefProtected = strconv.FormatBool(job.Claims.RefProtected)
	}
	if job.Claims.Environment != "" { // as GitLab: present with an environment
		c.EnvironmentProtected = strconv.FormatBool(job.Claims.EnvironmentProtected)
	}
	if err := c.checkText(); err != nil {
		return Token{}, err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return Token{}, fmt.Errorf("oidc: encode claims: %w", err)
	}
	if len(payload) > maxClaimsSize {
		// Every verifier with the default limit would refuse the token.
		return Token{}, fmt.Errorf("%w: claim set of %d bytes, more than %d", ErrConfig, len(payload), maxClaimsSize)
	}
	k, err := i.signingKey(ctx, now, exp)
	if err != nil {
		return Token{}, err
	}
	sig, err := k.signer.Sign(payload)
	if err != nil {
		return Token{}, fmt.Errorf("oidc: sign: %w", err)
	}
	raw, err := sig.CompactSerialize()
	if err != nil {
		return Token{}, fmt.Errorf("oidc: serialize: %w", err)
	}
	tok := Token{raw: raw, id: c.ID, expiresAt: exp}
	if i.cfg.masker != nil {
		i.cfg.masker.AddMask(raw)
	}
	if i.cfg.sink != nil {
		who := identity.Identity{Issuer: i.url, Subject: sub, Claims: job.Claims}
		err := i.cfg.sink.Write(ctx, audit.Event{
			ID: randid.New(), Time: now.UTC(), Source: "ztci/identity/oidc", Action: "identity.token.mint",
			Outcome: audit.OutcomeSuccess, Actor: who.AuditActor(), Resource: "job-token:" + c.ID,
			Correlation: audit.Correlation{JobID: job.Claims.Job, RunID: job.Claims.RunID},
			Attributes:  map[string]string{"aud": strings.Join(aud, " "), "exp": exp.UTC().Format(time.RFC3339), "kid": k.public.KeyID},
		})
		if err != nil {
			return Token{}, fmt.Errorf("oidc: audit mint: %w", err)
		}
	}
	if i.cfg.logger.Enabled(ctx, slog.LevelDebug) { // skip boxing the attributes for a silent logger
		i.cfg.logger.DebugContext(ctx, "job token minted", "jti", c.ID, "sub", sub, "kid", k.public.KeyID)
	}
	return tok, nil
}

// Rotate makes a fresh in-memory key active. The previous key stays in the
// JWKS until every token it signed has expired (TTL plus a minute of
// grace), so verifiers never see a token whose key has vanished. With
// [WithKeyStore] the new key signs only once it is published (the next
// Mint publishes it first), and Rotate waits for a publish in progress. An
// issuer built [WithSigner] cannot generate its next key: it returns an
// error wrapping [ErrConfig]; rotate a KMS key by starting the issuer with
// the new Signer (the old key stays published in the key store until its
// tokens have expired).
func (i *Issuer) Rotate() error {
	if i.cfg.signer != nil {
		return fmt.Errorf("%w: Rotate: the issuer signs with a caller-supplied crypto.Signer; start it with the next one", ErrConfig)
	}
	k, err := newSigningKey(i.cfg.alg)
	if err != nil {
		return err
	}
	now := i.cfg.now()
	i.maint.Lock() // not between a Mint's publishing and its reading the active key
	defer i.maint.Unlock()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.promote(now, k)
	return nil
}

// JWKS returns the public key set this issuer serves: its active key, its
// next key when rotating, every retired key whose tokens may still be
// valid, and, with [WithKeyStore], every live key of the fleet. When the
// key store cannot answer (see [KeyStore]), JWKS holds only this issuer's
// own published keys, never more; [Issuer.Handler] answers 503 instead, so
// that verifiers keep their cached set.
func (i *Issuer) JWKS() []byte {
	b, err := i.jwks(context.Background())
	if err != nil {
		return i.ownJWKS(i.cfg.now())
	}
	return b
}

// KeySet returns the current public keys as a [KeySet] for [WithKeySet]
// (offline verification in the same process).
func (i *Issuer) KeySet() *KeySet {
	ks, err := ParseKeySet(i.JWKS())
	if err != nil {
		panic("oidc: parse our own JWKS: " + err.Error())
	}
	return ks
}

// Discovery paths served by [Issuer.Handler], relative to the issuer URL.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks"
)

// Handler serves the discovery document and the JWKS under the issuer URL's
// path: mount it so that <issuer>/.well-known/openid-configuration reaches
// it. Everything else is 404.
func (i *Issuer) Handler() http.Handler {
	base, _ := url.Parse(i.url)
	prefix := strings.TrimSuffix(base.Path, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var body []byte
		switch r.URL.Path {
		case prefix + DiscoveryPath:
			body = i.discovery(i.servedAlgorithms(r.Context()))
		case prefix + JWKSPath:
			var err error
			if body, err = i.jwks(r.Context()); err != nil {
				i.cfg.logger.WarnContext(r.Context(), "oidc: JWKS not served: fleet key set unavailable", "error", err)
				w.Header().Set("Retry-After", "5")
				http.Error(w, "key set unavailable", http.StatusServiceUnavailable)
				return
			}
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=60")
		_, _ = w.Write(body)
	})
}

func (i *Issuer) discovery(algs []string) []byte {
	doc := map[string]any{
		"issuer":                                i.url,
		"jwks_uri":                              i.url + JWKSPath,
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": algs,
		"scopes_supported":                      []string{"openid"},
		"claims_supported": []string{"sub", "aud", "exp", "iat", "nbf", "iss", "jti", "platform", "repository", "repository_id", "repository_owner_id", "ref",
			"ref_protected", "sha", "workflow", "workflow_ref", "job_workflow_ref", "job", "run_id", "run_attempt",
			"event_name", "actor", "runner_environment", "environment", "environment_protected"},
	}
	b, _ := json.Marshal(doc)
	return b
}

func isRejection(err error) bool { return errors.Is(err, ErrInvalidToken) }

// String names the issuer; its signing keys (a [WithSigner] Signer may hold
// the private key in its own value, an Ed25519 key for one) are never
// printed.
func (i *Issuer) String() string { return "oidc.Issuer{" + i.url + ", keys:" + redact.Marker + "}" }

// GoString is String.
func (i *Issuer) GoString() string { return i.String() }

// Format writes String for every verb, so that no verb reaches the keys by
// reflection.
func (i *Issuer) Format(f fmt.State, _ rune) { redact.Format(f, i.String()) }

// LogValue is String.
func (i *Issuer) LogValue() slog.Value { return slog.StringValue(i.String()) }

// MarshalJSON is String as a JSON string.
func (i *Issuer) MarshalJSON() ([]byte, error) { return json.Marshal(i.String()) }

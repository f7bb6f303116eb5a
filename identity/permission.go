package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
)

// Permission is a scoped right on a pipeline resource, written
// "<resource>:<action>[:<scope>]" — for example "secrets:read:db-password",
// "deploy:production", "artifacts:push:ghcr.io/org/app", "approve:production".
// A requested Permission never contains '*'; grants may (see [Grant]).
type Permission string

// SecretsRead is the permission to read the named secret.
func SecretsRead(name string) Permission { return Permission("secrets:read:" + name) }

// Deploy is the permission to deploy to an environment.
func Deploy(environment string) Permission { return Permission("deploy:" + environment) }

// ArtifactsPush is the permission to push artifacts to a repository.
func ArtifactsPush(repo string) Permission { return Permission("artifacts:push:" + repo) }

// Approve is the (human) permission to approve a deployment to an environment.
func Approve(environment string) Permission { return Permission("approve:" + environment) }

// Errors of the permission model.
var (
	// ErrInvalidPermission: a requested permission or grant pattern is
	// malformed (empty segment, '*' in a request, whitespace, control or
	// invisible characters, invalid UTF-8), or a requested permission
	// holds a spelling a store may read as another name: an empty segment
	// or one of dots only between '/' or ':' ("a//b", "a/", "a/../b"), a
	// segment ending in '.' ("a/b.", "deploy:production."),
	// one of '%', '\', '#', '?', ';', '[', ']', '{', '}', or punctuation
	// or a symbol outside ASCII ("．", "‥", "／", "¥").
	ErrInvalidPermission = errors.New("identity: invalid permission")
	// ErrConfig: NewGuard was given an invalid grant or option, or a
	// token verifier unfit for its use ([ErrSingleUse]).
	ErrConfig = errors.New("identity: invalid configuration")
	// ErrAudit: the decision could not be audited, so it is not given.
	ErrAudit = errors.New("identity: audit failed")
)

// oddRune reports characters a permission may not hold: ASCII space and
// controls, and every Unicode space, control or invisible (format)
// character. Permissions are matched byte for byte, and requests are often
// built from caller input (Deploy(env)); "deploy:production\u200b" or
// "deploy:production\u00a0" would match a "deploy:*" grant while escaping a
// requirement registered for "deploy:production".
func oddRune(r rune) bool {
	return r <= ' ' || r == 0x7f || r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// maxQuoted bounds the bytes of a refused permission that an error or an
// audit event repeats: a request is often built from caller input, and may
// be of any size.
const maxQuoted = 256

// quoted renders a refused permission for an error or an audit event:
// clipped, and quoted in ASCII, so that neither invalid UTF-8 (which the
// audit log refuses) nor an invisible or look-alike character reaches a
// reader as it was sent.
func quoted(p string) string { return strconv.QuoteToASCII(clip.String(p, maxQuoted)) }

func validPermission(p string, pattern bool) error {
	if p == "" || !utf8.ValidString(p) || strings.ContainsFunc(p, oddRune) {
		return fmt.Errorf("%w: %s", ErrInvalidPermission, quoted(p))
	}
	if !pattern && strings.Contains(p, "*") {
		return fmt.Errorf("%w: %s: a request may not contain '*'", ErrInvalidPermission, quoted(p))
	}
	segs := strings.Split(p, ":")
	if len(segs) < 2 {
		return fmt.Errorf("%w: %s: want <resource>:<action>[:<scope>]", ErrInvalidPermission, quoted(p))
	}
	if slices.Contains(segs, "") {
		return fmt.Errorf("%w: %s: empty segment", ErrInvalidPermission, quoted(p))
	}
	if !pattern {
		return unaliased(p)
	}
	return nil
}

// aliasChars are characters a store may read as something else: '%'
// (percent-decoding: "%2e%2e%2f" is "../"), '\' (a separator to Windows
// and to URL parsers), '#', '?' and ';' (they end a URL path or path
// segment: "prod-db#-public" reads as "prod-db"), and glob or brace
// characters (a store that expands them reads one name as several).
const aliasChars = `%\#?;[]{}`

// unaliased refuses a requested permission that a store may normalise to
// another name: a grant's '*' crosses '/' and ':', so "secrets:read:team-a/*"
// would match "team-a/../team-b/db", which Vault, a file store and a URL
// path all resolve to team-b's secret. An empty segment ("a//b", "a/")
// or one of dots only (".", "..", and "..." that Windows trims to "") is
// refused between '/' and ':' alike, and so is a segment ending in '.':
// Windows trims trailing dots ("prod-db." is the file "prod-db") and DNS
// reads "production." as the name "production", so it would escape a
// requirement registered for that name. So is every character of aliasChars
// and every punctuation or symbol outside ASCII: NFKC and Windows'
// best-fit code pages read "．．", "‥", "／", "＼", "∕", "¥" or "％" as
// ASCII dots, separators or '%' ("team-a/．．/team-b/db"). Letters, marks
// and numbers outside ASCII stay: none normalises to a separator, and the
// dot some numbers gain ("⒈" is "1." under NFKC) never makes a segment of
// dots only ([WithRequirement] says how they meet requirements).
func unaliased(p string) error {
	if i := strings.IndexAny(p, aliasChars); i >= 0 {
		return fmt.Errorf("%w: %s: %q may be read as another name", ErrInvalidPermission, quoted(p), p[i])
	}
	if i := strings.IndexFunc(p, foreignPunct); i >= 0 {
		r, _ := utf8.DecodeRuneInString(p[i:])
		return fmt.Errorf("%w: %s: %U may be read as ASCII punctuation", ErrInvalidPermission, quoted(p), r)
	}
	for part := range strings.SplitSeq(p, ":") {
		for seg := range strings.SplitSeq(part, "/") {
			if strings.Trim(seg, ".") == "" || strings.HasSuffix(seg, ".") {
				return fmt.Errorf("%w: %s: empty, dot or dot-ended segment %s", ErrInvalidPermission, quoted(p), quoted(seg))
			}
		}
	}
	return nil
}

// foreignPunct reports punctuation and symbols outside ASCII.
func foreignPunct(r rune) bool {
	return r >= utf8.RuneSelf && (unicode.IsPunct(r) || unicode.IsSymbol(r))
}

// Grant gives the identities matched by To the permissions listed.
// Permission patterns may use '*' for any run of characters, '/' and ':'
// included ("secrets:read:*", "secrets:read:team-a/*",
// "deploy:staging-*"); the resource kind, the first segment, is named in
// full, since least privilege means naming it at least: "*", "*:read:x"
// and "s*:*" (which a '*' crossing ':' lets match "secrets:read:<any>"
// and "scm:<any>" alike) are refused. A '*' stops at no boundary: end a
// prefix with '/' ("team-a/*"), since "team-a*" also matches
// "team-a-evil/db". Grants match byte for byte: an NFC
// and an NFD spelling of one name are two names, so grant the one your
// store holds. Because '*' crosses '/', [Guard.Check] refuses requested
// names a store may resolve to another name, which "team-a/*" would
// otherwise cover: an empty, "." or ".." segment ("team-a/../team-b/db",
// "team-a//db", "team-a/db/"), one ending in '.' ("team-a/db."), '%',
// '\', '#', '?', ';', glob characters, and punctuation or symbols outside
// ASCII ("team-a/．．/team-b/db"); see [ErrInvalidPermission].
type Grant struct {
	// Name identifies the grant in decisions and audit events.
	Name        string
	To          Matcher
	Permissions []string
}

// Request asks whether Who may exercise Permission.
type Request struct {
	Who        Identity
	Permission Permission
	// AMR lists the authentication methods (RFC 8176) of a human caller, as
	// verified from their token; requirements such as [RequireAMR] read it.
	AMR []string
}

// Requirement is an extra condition on requests whose permission matches
// the pattern it was registered with (see [WithRequirement]). A non-nil
// error denies the request; its message becomes the decision's reason.
type Requirement func(ctx context.Context, r Request) error

// ErrRequirement is wrapped by the errors of the built-in requirements.
var ErrRequirement = errors.New("identity: requirement not met")

// RequireAMR requires that the caller authenticated with method (for
// example "mfa" for approvals). An empty method is a condition left unset:
// no request meets it, not even one whose AMR lists "".
func RequireAMR(method string) Requirement {
	return func(_ context.Context, r Request) error {
		if method == "" || !slices.Contains(r.AMR, method) {
			return fmt.Errorf("%w: amr %q lacks %q", ErrRequirement, r.AMR, method)
		}
		return nil
	}
}

// Decision is the outcome of [Guard.Check]. A deny is a Decision, not an
// error.
type Decision struct {
	Allowed    bool
	Permission Permission
	// Grant names the grant that allowed the request ("" on deny).
	Grant string
	// Reason explains the outcome in one sentence. Text from the request
	// in it (the caller's id, a requirement's error) is quoted in ASCII
	// and clipped.
	Reason string
}

// Option configures a [Guard].
type Option func(*guardConfig) error

type guardConfig struct {
	sink   audit.Sink
	logger *slog.Logger
	now    func() time.Time
	reqs   []requirement
}

type requirement struct {
	pattern string
	folded  string // foldCase(pattern)
	req     Requirement
}

// covers reports whether the requirement applies to a request whose
// permission, case-folded, is folded (see WithRequirement): it matches the
// pattern, a name below it (":" or "/" after it), or it holds a character
// outside ASCII and names the pattern's resource (or a resource outside
// ASCII).
func (q requirement) covers(folded string) bool {
	if Glob(q.folded, folded) || Glob(q.folded+":*", folded) || Glob(q.folded+"/*", folded) {
		return true
	}
	if isASCII(folded) {
		return false
	}
	// Outside ASCII: every requirement of the request's resource, and
	// every requirement when the resource itself is not ASCII.
	resource, _, _ := strings.Cut(q.folded, ":")
	asked, _, _ := strings.Cut(folded, ":")
	return !isASCII(asked) || Glob(resource, asked)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldCase maps every rune to the smallest rune of its case-folding orbit
// (unicode.SimpleFold), so that two permissions strings.EqualFold calls
// equal fold to one string. Lower-casing is not enough: it leaves "ſ"
// (U+017F, long s), which folds to "s".
func foldCase(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// WithAudit writes every decision to sink as an audit event (action
// "identity.permission.check"), a malformed request's refusal included (a
// deny, its permission quoted and clipped, the reason saying why; a
// request by the zero Identity has the actor "unauthenticated"); when the
// sink fails, Check returns an error wrapping [ErrAudit] and the request
// must be denied.
func WithAudit(sink audit.Sink) Option {
	return func(c *guardConfig) error {
		if sink == nil {
			return fmt.Errorf("%w: nil audit sink", ErrConfig)
		}
		c.sink = sink
		return nil
	}
}

// WithRequirement adds req to every request whose permission matches
// pattern ('*' globs) in any case, e.g. WithRequirement("approve:*",
// RequireAMR("mfa")). Grants match exactly; a requirement matches more
// widely, so that a spelling the protected system reads as the same name
// cannot skip it (matching more requirements can only deny more):
//   - under Unicode case folding (as strings.EqualFold compares):
//     "deploy:PRODUCTION" and "deploy:ſtaging" as "deploy:production"
//     and "deploy:staging";
//   - below it: "deploy:production" also covers "deploy:production:eu"
//     and "deploy:production/eu", which a grant of "deploy:*" allows and
//     a system that reads a name's first part reads as production
//     (spellings that resolve to it, "deploy:production/." or
//     "deploy:production/", are refused outright: see [Grant]);
//   - a request holding any character outside ASCII meets every
//     requirement of its resource (its first segment): "deploy:ｐroduction"
//     (fullwidth) or "deploy:prodúction" is production to a system that
//     compares names under an accent- and width-insensitive collation,
//     which no folding here reproduces.
func WithRequirement(pattern string, req Requirement) Option {
	return func(c *guardConfig) error {
		if req == nil {
			return fmt.Errorf("%w: nil requirement", ErrConfig)
		}
		if err := validPermission(pattern, true); err != nil {
			return err
		}
		c.reqs = append(c.reqs, requirement{pattern: pattern, folded: foldCase(pattern), req: req})
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *guardConfig) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the clock used for audit event times.
func WithClock(now func() time.Time) Option {
	return func(c *guardConfig) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// Guard decides requests against a fixed list of grants: deny by default,
// allow only when a grant matches both the caller and the permission and
// every requirement on the permission holds. A Guard is immutable and safe
// for concurrent use.
type Guard struct {
	grants []Grant
	cfg    guardConfig
}

// NewGuard validates grants and returns a Guard.
func NewGuard(grants []Grant, opts ...Option) (*Guard, error) {
	cfg := guardConfig{logger: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	gs := make([]Grant, len(grants))
	for i, g := range grants {
		if g.Name == "" || g.To == nil || len(g.Permissions) == 0 {
			return nil, fmt.Errorf("%w: grant %d needs a Name, a To matcher and permissions", ErrConfig, i)
		}
		for _, p := range g.Permissions {
			if err := validPermission(p, true); err != nil {
				return nil, fmt.Errorf("%w: grant %q: %w", ErrConfig, g.Name, err)
			}
			if kind, _, _ := strings.Cut(p, ":"); strings.Contains(kind, "*") {
				return nil, fmt.Errorf("%w: grant %q: pattern %q does not name its resource kind in full", ErrConfig, g.Name, p)
			}
		}
		g.Permissions = slices.Clone(g.Permissions)
		gs[i] = g
	}
	return &Guard{grants: gs, cfg: cfg}, nil
}

// Check decides r. The error is non-nil only when the request is malformed
// or the decision could not be audited; callers treat it as a deny. A
// malformed request is audited too, as a deny whose reason says why (its
// permission quoted and clipped); when that cannot be audited, the error
// wraps both ErrInvalidPermission and ErrAudit.
func (g *Guard) Check(ctx context.Context, r Request) (Decision, error) {
	if err := validPermission(string(r.Permission), false); err != nil {
		// A refused spelling ("team-a/../team-b/db") is what an auditor
		// looks for, so it is no less audited than a deny; it is recorded
		// quoted, as it may be huge or not UTF-8, which the log refuses.
		d := Decision{Permission: r.Permission, Reason: err.Error()}
		if aerr := g.record(ctx, r, d, quoted(string(r.Permission))); aerr != nil {
			return Decision{Permission: r.Permission, Reason: "decision could not be audited"}, errors.Join(err, aerr)
		}
		return d, err
	}
	d := g.decide(ctx, r)
	if err := g.record(ctx, r, d, string(r.Permission)); err != nil {
		return Decision{Permission: r.Permission, Reason: "decision could not be audited"}, err
	}
	g.cfg.logger.DebugContext(ctx, "permission check", "who", r.Who.ID(), "permission", r.Permission, "allowed", d.Allowed)
	return d, nil
}

// unauthenticated is the audit actor of a request by the zero Identity,
// whose empty id an audit sink refuses.
const unauthenticated = "unauthenticated"

// record writes d to the audit sink, if any, with resource as the event's
// resource; its error wraps ErrAudit.
func (g *Guard) record(ctx context.Context, r Request, d Decision, resource string) error {
	if g.cfg.sink == nil {
		return nil
	}
	outcome := audit.OutcomeDeny
	if d.Allowed {
		outcome = audit.OutcomeAllow
	}
	actor := r.Who.AuditActor()
	if r.Who.IsZero() {
		actor = audit.Actor{ID: unauthenticated, Kind: "job"}
	}
	e := audit.Event{
		ID: randid.New(), Time: g.cfg.now().UTC(), Source: "ztci/identity", Action: "identity.permission.check",
		Outcome: outcome, Actor: actor, Resource: resource, Reason: d.Reason,
		Correlation: audit.Correlation{JobID: r.Who.Claims.Job, RunID: r.Who.Claims.RunID},
	}
	if d.Grant != "" {
		e.Attributes = map[string]string{"grant": d.Grant}
	}
	if err := g.cfg.sink.Write(ctx, e); err != nil {
		return fmt.Errorf("%w: %w", ErrAudit, err)
	}
	return nil
}

func (g *Guard) decide(ctx context.Context, r Request) Decision {
	d := Decision{Permission: r.Permission}
	if r.Who.IsZero() {
		d.Reason = "no authenticated identity"
		return d
	}
	// Requirements match without case, grants exactly: a permission's
	// resource is often a name its system compares without case (GitHub
	// environments), so "deploy:PRODUCTION" (or "deploy:ſtaging", which
	// strings.EqualFold calls "deploy:staging") must not skip a
	// requirement that a grant of "deploy:*" would then allow. Matching
	// more requirements can only deny more.
	folded := foldCase(string(r.Permission))
	for _, q := range g.cfg.reqs {
		if q.covers(folded) {
			if err := q.req(ctx, r); err != nil {
				// The error may repeat request text (AMR, the caller's
				// claims): quoted and clipped, as the caller's id below.
				d.Reason = "requirement for " + q.pattern + " not met: " + quoted(err.Error())
				return d
			}
		}
	}
	for _, gr := range g.grants {
		if !gr.To.Match(r.Who) {
			continue
		}
		for _, p := range gr.Permissions {
			if Glob(p, string(r.Permission)) {
				d.Allowed, d.Grant = true, gr.Name
				d.Reason = fmt.Sprintf("granted by %q (%s)", gr.Name, p)
				return d
			}
		}
	}
	// The id holds the token's subject, whose branch or environment names
	// a pipeline author chose: quoted in ASCII and clipped, so that a line
	// break or terminal escape in it forges nothing where Reason is shown
	// (an audit event, secrets.DeniedError, a log line).
	d.Reason = fmt.Sprintf("no grant gives %s to %s", r.Permission, quoted(r.Who.ID()))
	return d
}

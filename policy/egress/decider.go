package egress

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
	"github.com/ztci/ztci/internal/asciifold"
)

// Decision is a verdict on one destination for one job.
type Decision struct {
	// Allow is the verdict.
	Allow bool
	// Rule names the rule that decided: a [Rule]'s Name, [RuleDefaultDeny],
	// or a rule id of the caller's own Decider. A deny must name one; it is
	// shown to the job in the 403 body and recorded in the audit event.
	Rule string
	// Reason explains the verdict in one sentence, for the job's log and
	// the audit event. It must not contain secrets.
	Reason string
}

// Decider decides whether a job may connect to a destination. The proxy asks
// once per (job identity, destination) and caches the answer (see
// Limits.DecisionTTL); the job's identity has been verified and is not
// marked compromised when Decide is called.
//
// Contract: an error means "could not decide" and the proxy denies (rule
// [RuleUndecided]) without caching. Decide must be safe for concurrent use
// and should return within the request's context.
type Decider interface {
	Decide(ctx context.Context, job identity.Identity, dst Destination) (Decision, error)
}

// DeciderFunc adapts a function to a [Decider].
type DeciderFunc func(ctx context.Context, job identity.Identity, dst Destination) (Decision, error)

// Decide calls f(ctx, job, dst).
func (f DeciderFunc) Decide(ctx context.Context, job identity.Identity, dst Destination) (Decision, error) {
	return f(ctx, job, dst)
}

// Rule allows jobs of some repositories (and, optionally, workflows, refs
// and run triggers), or workloads with some SPIFFE IDs, to reach some
// hosts on some ports. Globs use [identity.Glob]: '*' matches any run of characters, '/'
// and '.' included; everything else matches itself. A claim the job does
// not carry never matches.
type Rule struct {
	// Name identifies the rule in 403 bodies and audit events. Required,
	// unique within an AllowList.
	Name string
	// Repositories are globs over the job's repository claim
	// ("octo-org/*"); "*" is every repository. Repositories or SPIFFEIDs
	// is required.
	Repositories []string
	// SPIFFEIDs are globs over the SPIFFE ID of a job that authenticated
	// with an X.509-SVID ([WithClientSVIDs]), e.g.
	// "spiffe://ci.example/repo/octo-org/*". Such a job carries no CI
	// claims, so Repositories, Workflows, Refs and Events never match it.
	SPIFFEIDs []string
	// Issuers, if not nil, are the only identity authorities whose jobs
	// the rule covers, exact: OIDC issuer URLs
	// ("https://token.actions.githubusercontent.com"), or SPIFFE trust
	// domains ("spiffe://ci.example") for jobs that present an SVID. A
	// repository name means something only to the platform that issued
	// it: where the proxy trusts more than one issuer, "acme/app" on one
	// is anyone's "acme/app" on another. A non-nil empty list covers none.
	// Nil: any issuer the proxy's verifier trusts. As
	// policy.SecretGrant.Issuers.
	Issuers []string
	// RepositoryIDs, if not nil, are the only repository ids (the
	// platform's immutable id, identity.Claims.RepositoryID: GitHub's
	// repository_id, GitLab's project_id) whose jobs the rule covers,
	// beside Repositories, exact. A name can be registered again once its
	// owner renames or deletes the account or repository, and the new
	// repository's jobs carry the same name ("repojacking"); its id is
	// new. A non-nil empty list covers none; a job authenticated by SVID
	// carries no id and is not covered. Nil: any id. As
	// policy.SecretGrant.RepositoryIDs.
	RepositoryIDs []string
	// Workflows are globs over the workflow claim. Empty: any workflow.
	Workflows []string
	// Refs are globs over the full git ref ("refs/heads/main",
	// "refs/tags/v*"). Empty: any ref. A job started by an untrusted
	// trigger (its event claim; by default pull_request_target,
	// workflow_run or ssh-rerun, see [WithUntrustedTriggers]) matches no Refs glob
	// whatever its ref, unless Events names its trigger: GitHub gives such
	// a job the base branch's ref for code a pull request from anyone may
	// control.
	Refs []string
	// Events are the run triggers the rule applies to (the job's event
	// claim: "push", "workflow_run"), compared without ASCII case. Empty: any
	// trigger. Naming an untrusted trigger here is what lets Refs match a
	// job it started (a deploy workflow_run after CI on the main branch,
	// say).
	Events []string
	// Hosts are globs over the destination host, lower case
	// ("proxy.golang.org", "*.githubusercontent.com", "10.1.2.3"). A '*'
	// must end a label ("*.example.com", "s3-*.example.com") or be the
	// whole glob ("*": any host); "*example.com" or "example.*" would
	// cover hosts anyone can register, and is ErrConfig. A host
	// is matched as the job names it, before resolution; the addresses it
	// resolves to must still pass the proxy's address check. Required.
	Hosts []string
	// Ports the rule allows. Required.
	Ports []uint16
}

func (r Rule) matchesJob(job identity.Identity, untrusted []string) bool {
	if !r.issuerCovers(job) {
		return false
	}
	if !job.SPIFFEID.IsZero() {
		return r.RepositoryIDs == nil && anyGlob(r.SPIFFEIDs, job.SPIFFEID.String())
	}
	c := job.Claims
	if r.RepositoryIDs != nil && (c.RepositoryID == "" || !slices.Contains(r.RepositoryIDs, c.RepositoryID)) {
		return false
	}
	// The untrusted list folds as claims.NormalEvent does (Unicode: it
	// names triggers to distrust, and matches broadly); a rule's Events
	// name the trigger up to ASCII case only, so that "chec\u212a_run" (the
	// Kelvin sign), which no platform sends, is not check_run.
	event := claims.NormalEvent(c.Event)
	named := event != "" && slices.Contains(r.Events, asciifold.Lower(strings.TrimSpace(c.Event))) // NewAllowList normalized r.Events
	return anyGlob(r.Repositories, c.Repository) &&
		(len(r.Workflows) == 0 || anyGlob(r.Workflows, c.Workflow)) &&
		(len(r.Events) == 0 || named) &&
		(len(r.Refs) == 0 || (named || !slices.Contains(untrusted, event)) && anyGlob(r.Refs, c.Ref))
}

// issuerCovers reports whether the rule's Issuers cover the authority
// that vouched for job: its OIDC issuer, or its SVID's trust domain.
func (r Rule) issuerCovers(job identity.Identity) bool {
	if r.Issuers == nil {
		return true
	}
	if !job.SPIFFEID.IsZero() {
		return slices.Contains(r.Issuers, job.SPIFFEID.TrustDomain().IDString())
	}
	return job.Issuer != "" && slices.Contains(r.Issuers, job.Issuer)
}

// defaultUntrustedTriggers are the run triggers whose jobs match no
// Rule.Refs glob unless the rule's Events name them, when the allow-list
// is not told otherwise: claims.DefaultUntrustedTriggers, the policy
// library's default UntrustedTriggers and identity/exchange's default
// (TestDefaultUntrustedTriggersAreTheLibrarys compares the library's).
// GitHub runs a pull_request_target workflow with the base branch's ref
// (ref_protected true, the repository's secrets) for a pull request from
// anyone, and a workflow_run workflow the same way after a run such a
// pull request started, commonly on its artifacts; a CircleCI SSH rerun
// (ssh-rerun) is an interactive shell holding the job's token. Matched by
// ref, such a job got every allowance of its branch ("refs/heads/main"):
// the hosts a release or deploy step may reach.
func defaultUntrustedTriggers() []string { return claims.DefaultUntrustedTriggers() }

func (r Rule) matchesDestination(d Destination) bool {
	return slices.Contains(r.Ports, d.Port) && anyGlob(r.Hosts, d.Host)
}

func anyGlob(patterns []string, v string) bool {
	if v == "" {
		return false
	}
	for _, p := range patterns {
		if identity.Glob(p, v) {
			return true
		}
	}
	return false
}

// AllowList is the built-in [Decider]: the first [Rule] that matches both
// the job and the destination allows it; without one the destination is
// denied by [RuleDefaultDeny]. It is immutable and safe for concurrent use.
type AllowList struct {
	rules     []Rule
	untrusted []string // normalized (claims.NormalEvent)
}

// AllowListOption configures [NewAllowListWith]. An option given an
// invalid value makes it fail with an error wrapping [ErrConfig].
type AllowListOption func(*allowListConfig) error

type allowListConfig struct {
	untrusted []string
}

// WithUntrustedTriggers sets the run triggers whose jobs match no
// [Rule].Refs glob unless the rule's Events name them, with the meaning
// and the matching of the policy library's
// policy.LibraryConfig.UntrustedTriggers, so that a vendor passes the
// same list to both: nil keeps the default
// (claims.DefaultUntrustedTriggers: pull_request_target, workflow_run and
// ssh-rerun, the library's own), a non-nil empty list trusts every
// trigger, an empty entry is refused (as LibraryConfig.Validate refuses
// it). Triggers are compared with the job's event claim without case
// and surrounding space; a job without one (an empty claim) is untrusted
// only if an entry is blank, as in the library. triggers is copied.
//
//	rules, err := egress.NewAllowListWith(rules,
//		egress.WithUntrustedTriggers(libraryConfig.UntrustedTriggers))
func WithUntrustedTriggers(triggers []string) AllowListOption {
	return func(c *allowListConfig) error {
		if triggers == nil {
			c.untrusted = defaultUntrustedTriggers()
			return nil
		}
		c.untrusted = make([]string, len(triggers))
		for i, t := range triggers {
			if t == "" {
				return fmt.Errorf("%w: untrusted trigger %d is empty", ErrConfig, i)
			}
			c.untrusted[i] = claims.NormalEvent(t)
		}
		return nil
	}
}

// NewAllowList is [NewAllowListWith] without options: jobs started by
// pull_request_target, workflow_run or a CircleCI SSH rerun (ssh-rerun)
// match no Refs glob unless a rule's Events name their trigger.
func NewAllowList(rules ...Rule) (*AllowList, error) {
	return NewAllowListWith(rules)
}

// NewAllowListWith validates rules and returns the allow-list. Every rule
// needs a unique Name, at least one repository, host and port; globs and
// events must be non-empty, and host globs lower case in [a-z0-9-_.*:].
// Errors wrap [ErrConfig]. An empty list denies everything. Options:
// [WithUntrustedTriggers].
func NewAllowListWith(rules []Rule, opts ...AllowListOption) (*AllowList, error) {
	cfg := allowListConfig{untrusted: defaultUntrustedTriggers()}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil allow-list option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	out := make([]Rule, 0, len(rules))
	for i, r := range rules {
		r, err := checkRule(i, r, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return &AllowList{rules: out, untrusted: cfg.untrusted}, nil
}

// checkRule validates the i-th rule (seen holds the names before it) and
// returns a copy the caller cannot change, its events normalized.
func checkRule(i int, r Rule, seen map[string]bool) (Rule, error) {
	if r.Name == "" {
		return Rule{}, fmt.Errorf("%w: rule %d has no name", ErrConfig, i)
	}
	if seen[r.Name] {
		return Rule{}, fmt.Errorf("%w: rule name %q used twice", ErrConfig, r.Name)
	}
	seen[r.Name] = true
	if len(r.Repositories)+len(r.SPIFFEIDs) == 0 || len(r.Hosts) == 0 || len(r.Ports) == 0 {
		return Rule{}, fmt.Errorf("%w: rule %q needs Repositories or SPIFFEIDs, Hosts and Ports (use \"*\" for any repository)", ErrConfig, r.Name)
	}
	for _, list := range [][]string{r.Repositories, r.SPIFFEIDs, r.Workflows, r.Refs} {
		if slices.Contains(list, "") {
			return Rule{}, fmt.Errorf("%w: rule %q has an empty glob", ErrConfig, r.Name)
		}
	}
	if slices.Contains(r.Issuers, "") || slices.Contains(r.RepositoryIDs, "") {
		return Rule{}, fmt.Errorf("%w: rule %q has an empty issuer or repository id (an empty list covers none; nil, any)", ErrConfig, r.Name)
	}
	for _, h := range r.Hosts {
		if err := checkHostGlob(h); err != nil {
			return Rule{}, fmt.Errorf("%w: rule %q: host glob %q %w", ErrConfig, r.Name, h, err)
		}
	}
	if slices.Contains(r.Ports, 0) {
		return Rule{}, fmt.Errorf("%w: rule %q allows port 0", ErrConfig, r.Name)
	}
	r.Repositories = slices.Clone(r.Repositories)
	r.SPIFFEIDs = slices.Clone(r.SPIFFEIDs)
	r.Issuers = slices.Clone(r.Issuers) // keeps nil (any) apart from empty (none)
	r.RepositoryIDs = slices.Clone(r.RepositoryIDs)
	r.Workflows = slices.Clone(r.Workflows)
	r.Refs = slices.Clone(r.Refs)
	events := make([]string, len(r.Events))
	for i, e := range r.Events {
		if events[i] = claims.NormalEvent(e); events[i] == "" {
			return Rule{}, fmt.Errorf("%w: rule %q has an empty event", ErrConfig, r.Name)
		}
	}
	r.Events = events
	r.Hosts = slices.Clone(r.Hosts)
	r.Ports = slices.Clone(r.Ports)
	return r, nil
}

// checkHostGlob refuses a host glob that is not lower case letters,
// digits, '-', '_', '.', ':' and '*', or whose '*' does not end a label:
// every '*' but a lone one must be followed by '.', so "*.github.com" and
// "s3-*.amazonaws.com" stay under the domain they name, while
// "*github.com" (evilgithub.com), "github.*" (github.evil.example) and
// "git*hub.com" would reach hosts of anyone's choosing.
func checkHostGlob(h string) error {
	if h == "" || strings.Trim(h, "abcdefghijklmnopqrstuvwxyz0123456789-_.*:") != "" {
		return errors.New("must be lower case letters, digits, '-', '_', '.', ':' and '*'")
	}
	if h == "*" {
		return nil
	}
	for i := range len(h) {
		if h[i] == '*' && (i+1 == len(h) || h[i+1] != '.') {
			return errors.New("has a '*' that does not end a label (only \"*\" or \"*.\" before the rest of a name)")
		}
	}
	return nil
}

// Decide implements [Decider]. It never returns an error.
func (a *AllowList) Decide(_ context.Context, job identity.Identity, dst Destination) (Decision, error) {
	for _, r := range a.rules {
		if r.matchesJob(job, a.untrusted) && r.matchesDestination(dst) {
			return Decision{Allow: true, Rule: r.Name, Reason: fmt.Sprintf("rule %q allows %s to reach %s", r.Name, who(job), dst)}, nil
		}
	}
	if !job.SPIFFEID.IsZero() {
		return Decision{Rule: RuleDefaultDeny, Reason: fmt.Sprintf("no rule allows %s to reach %s", job.SPIFFEID, dst)}, nil
	}
	c := job.Claims
	reason := fmt.Sprintf("no rule allows repository %q (workflow %q, ref %q) to reach %s", c.Repository, c.Workflow, c.Ref, dst)
	if slices.Contains(a.untrusted, claims.NormalEvent(c.Event)) {
		reason += fmt.Sprintf("; the job was started by %q, which a rule's Refs match only when its Events name it", c.Event)
	}
	return Decision{Rule: RuleDefaultDeny, Reason: reason}, nil
}

// who names a job in a reason: its SPIFFE ID or its repository.
func who(job identity.Identity) string {
	if !job.SPIFFEID.IsZero() {
		return job.SPIFFEID.String()
	}
	return job.Claims.Repository
}

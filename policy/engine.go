package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/glob"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/ztci/ztci/policy/internal/caps"
)

// Engine is the OPA-backed [Evaluator]. It compiles its policy once per
// load (rego PrepareForEval) and evaluates it many times; it is safe for
// concurrent use. Create it with [New]; Close it when done if it reloads in
// the background.
type Engine struct {
	src Source
	cfg config

	cur      atomic.Pointer[compiled]
	reloadMu sync.Mutex // serializes Reload
	lastErr  atomic.Pointer[error]
	expired  atomic.Pointer[error] // a reload's ErrExpired, until a reload succeeds
	loadedAt atomic.Int64          // the clock's UnixNano at the latest successful load, for WithMaxAge

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closed    atomic.Bool
}

// compiled is one prepared policy; it is immutable once published.
type compiled struct {
	pq          rego.PreparedEvalQuery
	revision    string // manifestRev, or digest if there is none
	manifestRev string
	digest      string
}

var _ Evaluator = (*Engine)(nil)

// New loads src, compiles it for the decision query ([DefaultQuery] unless
// [WithQuery]) and returns an Engine. It fails with an error wrapping
// [ErrLoad] (or [ErrCompile]) if the policy cannot be loaded or compiled,
// and [ErrInvalidOption] for a bad option.
func New(ctx context.Context, src Source, opts ...Option) (*Engine, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: nil source", ErrInvalidOption)
	}
	e := &Engine{
		src: src,
		cfg: config{
			query:  DefaultQuery,
			mode:   Enforce,
			log:    slog.New(slog.DiscardHandler),
			now:    time.Now,
			evalTO: DefaultEvalTimeout,
		},
	}
	for _, o := range opts {
		if err := o(&e.cfg); err != nil {
			return nil, err
		}
	}
	if e.cfg.maxAge > 0 && e.cfg.reload >= e.cfg.maxAge {
		return nil, fmt.Errorf("%w: reload interval %v is not shorter than the maximum age %v: the policy would expire between reloads",
			ErrInvalidOption, e.cfg.reload, e.cfg.maxAge)
	}
	b, err := load(ctx, src)
	if err != nil {
		return nil, err
	}
	c, err := e.compile(ctx, b)
	if err != nil {
		return nil, err
	}
	e.cur.Store(c)
	e.loadedAt.Store(e.cfg.now().UnixNano())
	if e.cfg.reload > 0 {
		e.stop = make(chan struct{})
		e.done = make(chan struct{})
		go e.reloadLoop()
	}
	return e, nil
}

func load(ctx context.Context, src Source) (*Bundle, error) {
	b, err := src.Load(ctx)
	if err != nil {
		return nil, wrapLoad(err)
	}
	if b == nil {
		return nil, fmt.Errorf("%w: source returned no bundle", ErrLoad)
	}
	return b, nil
}

func wrapLoad(err error) error {
	if errors.Is(err, ErrLoad) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrLoad, err)
}

// Revision returns the revision of the policy in force.
func (e *Engine) Revision() string { return e.cur.Load().revision }

// LastReloadError returns the error of the latest reload, or nil if it
// succeeded (or none has run).
func (e *Engine) LastReloadError() error {
	if p := e.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Reload loads the Source again and, if the result compiles, swaps it in
// atomically: evaluations in flight finish with the old policy, later ones
// use the new one. If loading or compiling fails, the policy in force is
// kept (never an empty one) and the error, wrapping [ErrLoad], is returned,
// logged, recorded to the audit sink and kept for [Engine.LastReloadError].
// An error wrapping [ErrExpired] keeps it too, but Evaluate refuses to
// decide with it (wrapping [ErrNoDecision] and that error) until a later
// Reload succeeds; the failures until then are logged and audited as such.
// With [WithMaxAge], every failure once the policy in force was loaded
// longer ago than the maximum age wraps ErrExpired.
// An unchanged policy (same modules and data) is not recompiled; its
// Reload succeeds, and so renews it for WithMaxAge.
func (e *Engine) Reload(ctx context.Context) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	err := e.reload(ctx)
	if err != nil && !errors.Is(err, ErrExpired) {
		// A Source that keeps failing (a directory left unreadable, a
		// bundle file replaced by one that does not load) must not keep
		// an old policy in force for ever.
		if serr := e.stale(); serr != nil {
			err = fmt.Errorf("%w (the policy in force), and this reload failed: %w", serr, err)
		}
	}
	switch {
	case err == nil:
		e.loadedAt.Store(e.cfg.now().UnixNano())
		e.expired.Store(nil)
	case errors.Is(err, ErrExpired):
		// Any other failure keeps the policy in force; this one says
		// the policy in force may no longer be trusted.
		e.expired.Store(&err)
	}
	if err != nil {
		e.lastErr.Store(&err)
		msg := "policy reload failed; keeping the last good policy"
		if e.expired.Load() != nil {
			msg = "policy reload failed; the policy in force expired, refusing to decide until a reload succeeds"
		}
		e.cfg.log.LogAttrs(ctx, slog.LevelError, msg, slog.String("revision", e.Revision()), slog.Any("error", err))
	} else {
		e.lastErr.Store(nil)
	}
	if aerr := e.auditReload(ctx, err); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// stale returns an error wrapping ErrExpired when [WithMaxAge] is set and
// the policy in force was last loaded longer ago than it allows.
func (e *Engine) stale() error {
	if e.cfg.maxAge == 0 {
		return nil
	}
	at := time.Unix(0, e.loadedAt.Load())
	if age := e.cfg.now().Sub(at); age > e.cfg.maxAge {
		return fmt.Errorf("%w: the policy in force was last loaded at %s, %s ago, over the maximum age of %s", ErrExpired,
			at.UTC().Format(time.RFC3339), age.Round(time.Second), e.cfg.maxAge)
	}
	return nil
}

func (e *Engine) reload(ctx context.Context) error {
	if e.closed.Load() {
		return fmt.Errorf("%w: %w", ErrLoad, ErrClosed)
	}
	b, err := load(ctx, e.src)
	if err != nil {
		return err
	}
	d, err := b.digest()
	if err != nil {
		return err
	}
	old := e.cur.Load()
	if d == old.digest && b.Revision == old.manifestRev {
		return nil
	}
	c, err := e.compile(ctx, b)
	if err != nil {
		return err
	}
	e.cur.Store(c)
	e.cfg.log.LogAttrs(ctx, slog.LevelInfo, "policy reloaded",
		slog.String("old_revision", old.revision), slog.String("revision", c.revision))
	return nil
}

func (e *Engine) reloadLoop() {
	defer close(e.done)
	t := time.NewTicker(e.cfg.reload)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-e.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			_ = e.Reload(ctx) // reported through LastReloadError, the logger and audit
		}
	}
}

// Close stops background reloading. Evaluate fails with [ErrClosed]
// afterwards. Close is idempotent and returns nil.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.closed.Store(true)
		if e.stop != nil {
			close(e.stop)
			<-e.done
		}
	})
	return nil
}

func (e *Engine) compile(ctx context.Context, b *Bundle) (*compiled, error) {
	if err := checkRevision(b.Revision); err != nil {
		return nil, err
	}
	d, err := b.digest()
	if err != nil {
		return nil, err
	}
	data, err := b.jsonData()
	if err != nil {
		return nil, err
	}
	// AST values on read: no Go-to-AST conversion of data per evaluation.
	store := inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))
	opts := []func(*rego.Rego){
		rego.Store(store),
		rego.Capabilities(caps.Capabilities()),
		rego.SetRegoVersion(ast.RegoV1),
		// A builtin error (e.g. a type error) aborts evaluation instead of
		// making the expression silently undefined: fail closed.
		rego.StrictBuiltinErrors(true),
	}
	n := 0
	for _, p := range slices.Sorted(maps.Keys(b.Modules)) {
		if isTest(p) {
			continue
		}
		opts = append(opts, rego.Module(p, b.Modules[p]))
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the policy has no modules", ErrLoad)
	}
	var compiler *ast.Compiler // kept for the configuration check: one compile per load
	pq, err := rego.New(append(slices.Clip(opts), rego.Query(e.cfg.query),
		rego.CompilerHook(func(c *ast.Compiler) { compiler = c }))...).PrepareForEval(ctx)
	if err != nil {
		return nil, compileError(err)
	}
	hasLib, err := checkLibraryPackages(ctx, b, compiler)
	if err != nil {
		return nil, err
	}
	if err := checkLibraryConfig(ctx, store, compiler, hasLib); err != nil {
		return nil, err
	}
	rev := b.Revision
	if rev == "" {
		rev = d
	}
	return &compiled{pq: pq, revision: rev, manifestRev: b.Revision, digest: d}, nil
}

// configErrorsQuery is the built-in library's check of its configuration
// (library/ztci/config_schema.rego); undefined in a bundle without the
// library. configGlobsQuery lists the configuration's glob patterns, as
// [path, pattern] pairs, which only Go can compile without failing.
const (
	configErrorsQuery = "data.ztci.lib.config_errors"
	configGlobsQuery  = "data.ztci.lib.config_globs"
)

// checkLibraryConfig refuses a bundle holding the built-in library whose
// configuration the library cannot read as written. It runs once per
// load, not per decision (the walk over the configuration costs more than
// a decision does), on the modules compiled for the decision query. A
// bundle holding modules of the library (hasLib) but not its check
// (ztci/config_schema.rego) is refused too: its rules would read a
// mistyped setting as no setting, or worse (max_critical "0" is above
// every count), with nothing to say so.
func checkLibraryConfig(ctx context.Context, store storage.Store, compiler *ast.Compiler, hasLib bool) error {
	if compiler == nil { // never: PrepareForEval built one; without it nothing would be checked
		return fmt.Errorf("%w: no compiler to check the configuration with", ErrLoad)
	}
	rs, err := rego.New(rego.Query(configErrorsQuery), rego.Compiler(compiler), rego.Store(store),
		rego.Capabilities(caps.Capabilities()), rego.SetRegoVersion(ast.RegoV1), rego.StrictBuiltinErrors(true)).Eval(ctx)
	if err != nil {
		return compileError(err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		if hasLib {
			return &ConfigError{Problems: []string{"the bundle holds the built-in library without " + configErrorsQuery +
				" (ztci/config_schema.rego), so its configuration cannot be checked; include the whole library"}}
		}
		return nil // no built-in library in this bundle
	}
	found, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return &ConfigError{Problems: []string{fmt.Sprintf("%s is a %T, not a set", configErrorsQuery, rs[0].Expressions[0].Value)}}
	}
	ce := &ConfigError{}
	for _, p := range found {
		ce.Problems = append(ce.Problems, fmt.Sprint(p))
	}
	// A glob pattern glob.match cannot compile would abort every decision
	// that reaches it (undecided) instead of refusing the configuration.
	rs, err = rego.New(rego.Query(configGlobsQuery), rego.Compiler(compiler), rego.Store(store),
		rego.Capabilities(caps.Capabilities()), rego.SetRegoVersion(ast.RegoV1), rego.StrictBuiltinErrors(true)).Eval(ctx)
	if err != nil {
		return compileError(err)
	}
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		globs, ok := rs[0].Expressions[0].Value.([]any)
		if !ok {
			return &ConfigError{Problems: []string{fmt.Sprintf("%s is a %T, not a set", configGlobsQuery, rs[0].Expressions[0].Value)}}
		}
		for _, g := range globs {
			pair, ok := g.([]any)
			if !ok || len(pair) != 2 {
				return &ConfigError{Problems: []string{fmt.Sprintf("%s holds %v, not a [path, pattern] pair", configGlobsQuery, g)}}
			}
			path, _ := pair[0].(string)
			pattern, _ := pair[1].(string)
			if _, err := glob.Compile(pattern); err != nil {
				ce.Problems = append(ce.Problems, fmt.Sprintf("%s: %q is not a glob pattern: %v", path, pattern, err))
			}
		}
	}
	if len(ce.Problems) == 0 {
		return nil
	}
	slices.Sort(ce.Problems)
	return ce
}

func compileError(err error) error {
	var errs ast.Errors
	if asErrors(err, &errs) {
		ce := &CompileError{err: err}
		for _, e := range errs {
			ce.Problems = append(ce.Problems, e.Error())
		}
		return ce
	}
	return &CompileError{Problems: []string{err.Error()}, err: err}
}

func asErrors(err error, target *ast.Errors) bool { return errors.As(err, target) }

// Evaluate decides in. See [Evaluator] for the contract: a deny is a
// Decision, an error (wrapping [ErrNoDecision]) means the caller must deny.
func (e *Engine) Evaluate(ctx context.Context, in Input) (Decision, error) {
	if e.closed.Load() {
		return Decision{}, ErrClosed
	}
	c := e.cur.Load()
	if c == nil { // a zero Engine, not made by New: no policy, no decision
		return Decision{}, fmt.Errorf("%w: engine has no policy (create it with New)", ErrNoDecision)
	}
	var dec Decision
	var err error
	if p := e.expired.Load(); p != nil {
		err = fmt.Errorf("%w: the policy in force expired: %w", ErrNoDecision, *p)
	} else if serr := e.stale(); serr != nil {
		// Checked here as well as on reload: a Load that never returns
		// (a hung network file system) fails no reload.
		err = fmt.Errorf("%w: %w", ErrNoDecision, serr)
	} else {
		dec, err = e.decideBounded(ctx, c, &in)
	}
	if e.cfg.mode == DryRun && err != nil && !errors.Is(err, errCompromised) {
		// Dry-run never blocks: record the failure, allow.
		e.cfg.log.LogAttrs(ctx, slog.LevelWarn, "policy dry-run: could not decide", slog.Any("error", err))
		dec = Decision{Allowed: true, Revision: c.revision, Mode: DryRun,
			Violations: []Violation{{Rule: "ztci.no_decision", Message: err.Error()}}}
		if aerr := e.auditDecision(ctx, c, &in, dec, err); aerr != nil {
			e.cfg.log.LogAttrs(ctx, slog.LevelWarn, "policy dry-run: audit failed", slog.Any("error", aerr))
		}
		return dec, nil
	}
	if errors.Is(err, errCompromised) {
		err = nil // the deny decision is the answer
	}
	if err != nil {
		if aerr := e.auditDecision(ctx, c, &in, Decision{}, err); aerr != nil {
			return Decision{}, errors.Join(err, aerr)
		}
		return Decision{}, err
	}
	if aerr := e.auditDecision(ctx, c, &in, dec, nil); aerr != nil {
		if e.cfg.mode == DryRun {
			e.cfg.log.LogAttrs(ctx, slog.LevelWarn, "policy dry-run: audit failed", slog.Any("error", aerr))
			return dec, nil
		}
		return Decision{}, aerr
	}
	if e.cfg.mode != Enforce && !dec.PolicyAllowed {
		e.cfg.log.LogAttrs(ctx, slog.LevelInfo, "policy would deny",
			slog.String("mode", string(e.cfg.mode)), slog.String("decision", dec.String()))
	}
	return dec, nil
}

// errCompromised marks the compromised-identity deny inside decide.
var errCompromised = errors.New("compromised")

// RuleCompromised is the rule id of the violation that denies a job whose
// identity the [audit.CompromiseChecker] reports compromised.
const RuleCompromised = "ztci.identity_compromised"

// decideBounded runs decide under the engine's own evaluation deadline
// ([WithEvalTimeout]) as well as the caller's, the earlier winning: a
// caller passing context.Background() must not let a policy that loops
// over what the input sizes (numbers.range(1, input.n), comprehensions
// over input arrays) hold a core and grow memory until the process dies.
// Only the evaluation is bounded: the audit write that follows keeps the
// caller's context, so a timed-out evaluation is still recorded.
func (e *Engine) decideBounded(ctx context.Context, c *compiled, in *Input) (Decision, error) {
	d := e.cfg.evalTO
	if d <= 0 { // New always sets one; never run unbounded
		d = DefaultEvalTimeout
	}
	ectx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return e.decide(ectx, c, in)
}

func (e *Engine) decide(ctx context.Context, c *compiled, in *Input) (Decision, error) {
	if e.cfg.checker != nil && in.Job.ID != "" && jobCompromised(e.cfg.checker, &in.Job) {
		return Decision{
			Allowed:  false,
			Revision: c.revision,
			Mode:     e.cfg.mode,
			Violations: []Violation{{
				Rule:    RuleCompromised,
				Message: "the job's identity is marked compromised; it is denied in every mode",
				Value:   in.Job.ID,
			}},
		}, errCompromised
	}
	v, err := in.toValue()
	if err != nil {
		return Decision{}, err
	}
	rs, err := evalQuery(ctx, c, v)
	if err != nil {
		return Decision{}, evalError(ctx, err)
	}
	allow, vs, err := parseResult(rs)
	if err != nil {
		return Decision{}, err
	}
	dec := Decision{
		PolicyAllowed: allow && len(vs) == 0,
		Violations:    vs,
		Revision:      c.revision,
		Mode:          e.cfg.mode,
	}
	dec.Allowed = dec.PolicyAllowed || e.cfg.mode != Enforce
	return dec, nil
}

// evalQuery runs the prepared query on v. A panic inside OPA (an input
// value it cannot compare, a builtin bug) is an evaluation error, a deny,
// instead of a crash of the caller's process. The panic's value is not
// quoted: it can hold input values, and the error reaches callers.
func evalQuery(ctx context.Context, c *compiled, v ast.Value) (rs rego.ResultSet, err error) {
	defer func() {
		if recover() != nil {
			rs, err = nil, errors.New("opa panicked during evaluation")
		}
	}()
	return c.pq.Eval(ctx, rego.EvalParsedInput(v))
}

func evalError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %w (%w)", ErrEvaluation, cerr, err)
	}
	if topdown.IsCancel(err) {
		return fmt.Errorf("%w: %w (%w)", ErrEvaluation, context.Canceled, err)
	}
	return fmt.Errorf("%w: %w", ErrEvaluation, err)
}

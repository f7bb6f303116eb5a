package k8s

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
)

// Decider decides whether one image may be deployed. *gate.Gate implements
// it; tests and vendors wrap it (to count, cache or trace decisions).
//
// Contract: as [gate.Gate.Decide]. Decide must return when ctx is done and
// be safe for concurrent use; Allowed false or a non-nil error is a deny,
// and so is an allow whose Digest is not the sha256 digest decided (the
// one the image reference pins, when it pins one).
type Decider interface {
	Decide(ctx context.Context, req gate.Request) (gate.Decision, error)
}

// DeciderFunc adapts a function to a [Decider].
type DeciderFunc func(ctx context.Context, req gate.Request) (gate.Decision, error)

// Decide calls f(ctx, req).
func (f DeciderFunc) Decide(ctx context.Context, req gate.Request) (gate.Decision, error) {
	return f(ctx, req)
}

// Audit event fields of the webhook's own event, one per review.
const (
	AuditSource = "ztci/policy/gate/k8s"
	AuditAction = "k8s.admit"
)

// Audit annotation keys of every response. The API server prefixes them
// with the webhook's name and writes them into its audit log.
const (
	// AnnotationDecision is "allow" or "deny".
	AnnotationDecision = "decision"
	// AnnotationReason is one of the Reason constants.
	AnnotationReason = "reason"
	// AnnotationImages is a JSON object mapping each image reference the
	// gate allowed to the digest it verified.
	AnnotationImages = "verified-images"
	// AnnotationAuditID is the id of the webhook's audit event, which
	// names the Kubernetes user and the gate's own audit event ids.
	AnnotationAuditID = "audit-id"
)

// Reasons in [AnnotationReason]: a stable code for each way a review ends.
const (
	// ReasonVerified: the gate allowed every image.
	ReasonVerified = "verified"
	// ReasonNothingToVerify: the request deploys no image (DELETE,
	// CONNECT, or an object without containers).
	ReasonNothingToVerify = "nothing-to-verify"
	// ReasonBeingDeleted: an UPDATE of an object already being deleted
	// that names no image its old object did not (it starts nothing new;
	// denying it would only keep finalizers from being removed). One that
	// names a new image is decided like any other UPDATE.
	ReasonBeingDeleted = "being-deleted"
	// ReasonSpecUnchanged: an UPDATE whose Pod specs (a Pod's spec, a
	// workload's Pod template spec) equal, field for field, those of the
	// object it replaces: a change of metadata (labels, annotations,
	// finalizers, owner references), status, replicas or template
	// metadata. It runs no image the stored object did not. Any change
	// of a Pod spec — an image, an init or ephemeral container (the
	// ephemeralcontainers subresource), a volume — is decided.
	ReasonSpecUnchanged = "spec-unchanged"
	// ReasonUngatedKind: a kind the webhook does not read, admitted
	// because of [WithUngatedKindsAllowedUnsafe].
	ReasonUngatedKind = "ungated-kind"

	// ReasonDenied: the gate denied at least one image.
	ReasonDenied = "denied"
	// ReasonUndecided: the gate could not decide at least one image.
	ReasonUndecided = "undecided"
	// ReasonTimeout: at least one decision did not finish within the
	// review's deadline.
	ReasonTimeout = "timeout"
	// ReasonUnsupportedKind: see [ErrUnsupportedKind].
	ReasonUnsupportedKind = "unsupported-kind"
	// ReasonBadObject: see [ErrBadObject].
	ReasonBadObject = "bad-object"
	// ReasonUnsupportedOperation: an operation other than CREATE, UPDATE,
	// DELETE or CONNECT.
	ReasonUnsupportedOperation = "unsupported-operation"
	// ReasonTooManyImages: more distinct images than [WithMaxImages].
	ReasonTooManyImages = "too-many-images"
	// ReasonTagReference: an image referenced without a digest, with
	// [WithDigestsRequired].
	ReasonTagReference = "tag-reference"
	// ReasonNoToken: the webhook's own token source failed.
	ReasonNoToken = "no-token"
	// ReasonBadReview: the body was valid JSON naming a request uid but
	// not one well-formed AdmissionReview v1 request (see
	// [Webhook.ServeHTTP]). No gate decision; the deny is audited.
	ReasonBadReview = "bad-review"
	// ReasonAuditFailed: the webhook's audit event was not accepted.
	ReasonAuditFailed = "audit-failed"
)

// Webhook is a Kubernetes validating admission webhook in front of the
// deploy gate. It is an [http.Handler] (see [Webhook.ServeHTTP]) and safe
// for concurrent use; it holds no goroutine between reviews.
type Webhook struct {
	cfg    config
	gate   Decider
	tokens identity.TokenSource
	sink   audit.Sink
	slots  chan struct{}

	// shares holds the slots of each namespace with decisions in flight
	// or waiting (WithParallelismPerNamespace).
	mu     sync.Mutex
	shares map[string]*share
}

// share is one namespace's part of the decision slots: a decision takes
// one of slots before one of the Webhook's, so a namespace never holds
// more than its share of those. users counts the decisions of the
// namespace not yet ended; at zero the share is forgotten.
type share struct {
	slots chan struct{}
	users int
}

// New returns a Webhook. d decides each image (a *gate.Gate); tokens
// supplies the webhook's own workload token, which the gate verifies like a
// CI job's (see the package documentation for why it is not the deploying
// user's); sink records one event per review, naming the Kubernetes user,
// and must accept it for an allow to stand. All three are required.
func New(d Decider, tokens identity.TokenSource, sink audit.Sink, opts ...Option) (*Webhook, error) {
	if d == nil || tokens == nil || sink == nil {
		return nil, fmt.Errorf("%w: a decider, a token source and an audit sink are required", ErrConfig)
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.perNamespace == 0 {
		cfg.perNamespace = max(1, cfg.parallelism/2)
	}
	return &Webhook{cfg: cfg, gate: d, tokens: tokens, sink: sink, slots: make(chan struct{}, cfg.parallelism),
		shares: map[string]*share{}}, nil
}

// verdict is what became of one image.
type verdict struct {
	img      Image
	decision gate.Decision
	err      error
	timedOut bool
}

func (v *verdict) allowed() bool { return v.err == nil && !v.timedOut && v.decision.Allowed }

// Review decides one admission request and returns its response, which
// always echoes req.UID and is a deny unless every image of the object was
// allowed by the gate and the webhook's audit event was written. It never
// returns nil. ctx's deadline, if any, is when the answer is due: the
// decisions are bounded by [WithTimeout] and end early enough before it to
// leave the audit write its share, and an audit write not done by it is a
// deny. Without a deadline the audit write has a second after the
// decisions.
func (w *Webhook) Review(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	if req == nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Status: metav1.StatusFailure, Code: 400,
			Reason: metav1.StatusReasonBadRequest, Message: "ztci deploy gate: no admission request"}}
	}
	dctx, cancel := context.WithTimeout(ctx, w.decisionTime(ctx))
	defer cancel()
	return w.audited(ctx, req, w.review(dctx, req))
}

// decisionTime is how long the decisions of a review answered by ctx's
// deadline may take: [WithTimeout], less the audit write's share of the
// time left (a second at most, half of it at most) when that is sooner.
func (w *Webhook) decisionTime(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return w.cfg.timeout
	}
	left := time.Until(dl)
	return min(w.cfg.timeout, left-min(auditGrace, left/2))
}

// audited writes the audit event of r, the outcome of req, and returns the
// response: a deny when the event was not accepted by ctx's deadline, or
// within auditGrace.
func (w *Webhook) audited(ctx context.Context, req *admissionv1.AdmissionRequest, r result) *admissionv1.AdmissionResponse {
	ev := w.event(req, r)
	// The audit write runs even after the decision deadline, so that a
	// timeout deny is recorded too, under its own short bound, which never
	// passes the answer's deadline: a slow sink must not make the answer
	// late, into the API server's failurePolicy.
	end := time.Now().Add(auditGrace)
	if dl, ok := ctx.Deadline(); ok && dl.Before(end) {
		end = dl
	}
	actx, acancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	defer acancel()
	auditID := ev.ID
	if _, err := within(actx, func(ctx context.Context) (struct{}, error) { return struct{}{}, w.sink.Write(ctx, ev) }); err != nil {
		w.cfg.log.WarnContext(ctx, "admission audit failed", "uid", string(req.UID), "err", err)
		auditID = ""
		if r.allowed {
			r = result{reason: ReasonAuditFailed, message: "the decision could not be audited", verdicts: r.verdicts}
		}
	}
	w.cfg.log.InfoContext(ctx, "admission review", "uid", string(req.UID), "user", req.UserInfo.Username,
		"namespace", req.Namespace, "kind", gvkString(req.Kind), "name", r.name,
		"dry_run", dryRun(req), "allowed", r.allowed, "reason", r.reason)
	return w.response(req, r, auditID)
}

// within returns f(ctx), or ctx's error as soon as ctx ends first. The
// token source and the audit sink are the vendor's; one that ignores its
// context (a token exchange or a log shipper stuck on the network) must not
// hold the review past the deadline the API server is promised a deny by,
// into its failurePolicy. f runs on until it returns; a late result is
// dropped, and a panic is an error like any other.
func within[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	type outcome struct {
		v   T
		err error
	}
	done := make(chan outcome, 1) // buffered: a late f never blocks
	go func() {
		var o outcome
		defer func() {
			if recover() != nil {
				o = outcome{err: errPanicked}
			}
			done <- o
		}()
		o.v, o.err = f(ctx)
	}()
	select {
	case o := <-done:
		return o.v, o.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// errPanicked: a token source or audit sink panicked. Its value is not
// quoted: it may hold whatever the panicking code held (a token).
var errPanicked = errors.New("k8s: call panicked")

// result is a review's outcome before it is written as a response.
type result struct {
	allowed  bool
	reason   string
	message  string // why, for a deny
	name     string // the object's name, or generateName followed by "*"
	verdicts []verdict
}

func (w *Webhook) review(ctx context.Context, req *admissionv1.AdmissionRequest) result {
	switch req.Operation {
	case admissionv1.Create, admissionv1.Update:
	case admissionv1.Delete, admissionv1.Connect:
		return result{allowed: true, reason: ReasonNothingToVerify, name: objectName(req, nil)}
	default:
		return result{reason: ReasonUnsupportedOperation, message: fmt.Sprintf("operation %q is not gated", req.Operation)}
	}
	// A CREATE or UPDATE always carries the object it would store; one
	// without (absent, or JSON null) has nothing this webhook can read the
	// images of, which is a bad object, never "no images" (an allow).
	if len(req.Object.Raw) == 0 {
		return result{reason: ReasonBadObject, name: objectName(req, nil),
			message: fmt.Sprintf("%s request without an object", req.Operation)}
	}
	specs, obj, err := decodeObject(req)
	name := objectName(req, obj)
	switch {
	case errors.Is(err, ErrUnsupportedKind) && w.cfg.passUngated && !podItself(req):
		return result{allowed: true, reason: ReasonUngatedKind, name: name}
	case errors.Is(err, ErrUnsupportedKind):
		return result{reason: ReasonUnsupportedKind, name: name,
			message: fmt.Sprintf("kind %s is not gated by this webhook (fail closed)", gvkString(req.Kind))}
	case err != nil:
		return result{reason: ReasonBadObject, message: err.Error(), name: name}
	case req.Operation == admissionv1.Update && obj != nil && obj.GetDeletionTimestamp() != nil && addsNoImage(req, specs):
		// Removing a finalizer must not depend on the gate still allowing
		// what already runs. An update that also names a new image is
		// decided: the object stays live until its finalizers are gone,
		// and a kubelet may (re)start containers of a terminating Pod.
		return result{allowed: true, reason: ReasonBeingDeleted, name: name}
	}
	images, err := imagesOf(specs)
	switch {
	case err != nil:
		return result{reason: ReasonBadObject, message: err.Error(), name: name}
	case req.Operation == admissionv1.Update && specsUnchanged(req, specs):
		// A change of labels, annotations, finalizers, owners, status or
		// of anything else outside the Pod specs (replicas, a template's
		// labels) starts no image the stored object did not already
		// run: it must not depend on the gate still allowing what runs.
		// After a revocation the garbage collector could otherwise not
		// remove a finalizer, nor anyone label the workload to be
		// removed. The Pods a workload's change creates are reviewed as
		// Pods.
		return result{allowed: true, reason: ReasonSpecUnchanged, name: name}
	case len(images) == 0:
		return result{allowed: true, reason: ReasonNothingToVerify, name: name}
	case len(images) > w.cfg.maxImages:
		return result{reason: ReasonTooManyImages, name: name,
			message: fmt.Sprintf("%d distinct images, at most %d are verified per object", len(images), w.cfg.maxImages)}
	}
	if tags := byTag(images); w.cfg.digestsOnly && len(tags) > 0 {
		return result{reason: ReasonTagReference, name: name,
			message: "images referenced by tag, not by digest (this webhook requires digests): " + strings.Join(tags, ", ")}
	}
	raw, err := within(ctx, w.tokens.Token)
	if err != nil || raw == "" {
		// The source's error may describe the token; keep only the fact.
		w.cfg.log.DebugContext(ctx, "webhook token unavailable", "err", err)
		return result{reason: ReasonNoToken, message: "the webhook has no token to call the gate with", name: name}
	}
	base := gate.Request{JobToken: gate.NewToken(raw), DryRun: dryRun(req)}
	r := result{name: name, verdicts: w.decideAll(ctx, req.Namespace, base, images)}
	r.allowed, r.reason, r.message = summarize(r.verdicts)
	return r
}

// podItself reports whether req writes what a kubelet runs: a Pod, or the
// ephemeral containers of one (an EphemeralContainers object before
// Kubernetes 1.22). WithUngatedKindsAllowedUnsafe is safe only because
// Pods are gated, so it never passes these unread.
func podItself(req *admissionv1.AdmissionRequest) bool {
	return req.Resource.Group == "" && req.Resource.Resource == "pods" &&
		(req.SubResource == "" || req.SubResource == "ephemeralcontainers")
}

// decideAll asks the gate about each distinct image once (base with its
// Image set), at most parallelism decisions at a time across all reviews
// and namespace's share of them, and stops waiting when ctx is done: an
// image whose decision has not arrived is denied.
// Decisions still running then end with ctx, as Decider requires.
func (w *Webhook) decideAll(ctx context.Context, namespace string, base gate.Request, images []Image) []verdict {
	out := make([]verdict, len(images))
	done := make(chan int, len(images)) // buffered: a late decision never blocks
	ns := w.join(namespace, len(images))
	for i, img := range images {
		out[i].img = img
		go func() {
			defer w.leave(namespace, ns)
			if !w.take(ctx, ns) {
				out[i].timedOut = true
				done <- i
				return
			}
			// The decision always arrives, and a panicking Decider is a
			// deny of its image: this goroutine is the webhook's own, so no
			// http.Server recovers it, and a panic would end the process
			// (every review in flight with it) instead of denying one image.
			defer func() {
				// The panic's value is not quoted (it can hold whatever the
				// panicking code held); the stack says where it happened.
				if recover() != nil {
					out[i] = verdict{img: img, err: fmt.Errorf("%w: the decision panicked", gate.ErrUndecided)}
					w.cfg.log.ErrorContext(ctx, "gate decision panicked", "image", img.Ref, "stack", string(debug.Stack()))
				}
				<-w.slots
				<-ns.slots
				done <- i
			}()
			// A dry run reaches the gate as one: decided the same, it
			// records and attaches nothing (the API server's dry runs
			// must have no side effects; sideEffects: NoneOnDryRun).
			req := base
			req.Image = img.Ref
			d, err := w.gate.Decide(ctx, req)
			out[i].decision, out[i].err = d, err
			if err != nil && ctx.Err() != nil {
				out[i].timedOut = true
			}
			if err == nil {
				out[i].err = pinnedAllow(img.Ref, d)
			}
		}()
	}
	res := make([]verdict, len(images))
	arrived := make([]bool, len(images))
	for range images {
		select {
		case i := <-done:
			res[i], arrived[i] = out[i], true
		case <-ctx.Done():
			for i := range res {
				if !arrived[i] {
					res[i] = verdict{img: images[i], timedOut: true}
				}
			}
			return res
		}
	}
	return res
}

// pinnedAllow refuses an allow of ref that does not bind it to content: one
// without a sha256 digest, or with a digest other than the one ref itself
// pins. *gate.Gate always answers with the digest it verified, but a
// vendor's Decider (a cache, a wrapper) may not; admitted on its word, a
// tag could be moved to other content between this review and the pull,
// and a digest the object pins but the decider did not decide is not what
// was verified. Either is undecided, a deny.
func pinnedAllow(ref string, d gate.Decision) error {
	if !d.Allowed {
		return nil
	}
	if h, err := v1.NewHash(d.Digest); err != nil || h.Algorithm != "sha256" {
		return fmt.Errorf("%w: the decider allowed the image without a sha256 digest (%q)", gate.ErrUndecided, bound(d.Digest, 80))
	}
	// A runtime pulls the digest after the last '@' ("app:v1@sha256:…").
	if at := strings.LastIndexByte(ref, '@'); at >= 0 && ref[at+1:] != d.Digest {
		return fmt.Errorf("%w: the decider allowed digest %s, not the %q the object pins", gate.ErrUndecided, d.Digest, bound(ref[at+1:], 80))
	}
	return nil
}

// join returns namespace's share, counting n more decisions of it.
func (w *Webhook) join(namespace string, n int) *share {
	w.mu.Lock()
	defer w.mu.Unlock()
	ns := w.shares[namespace]
	if ns == nil {
		ns = &share{slots: make(chan struct{}, w.cfg.perNamespace)}
		w.shares[namespace] = ns
	}
	ns.users += n
	return ns
}

// leave counts one decision of namespace ended, forgetting its share after
// the last: the map holds only namespaces with decisions in flight.
func (w *Webhook) leave(namespace string, ns *share) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ns.users--; ns.users == 0 {
		delete(w.shares, namespace)
	}
}

// take waits for a slot of the namespace's share, then for one of the
// Webhook's, and reports whether it holds both before ctx ended. Waiting
// for the namespace's first keeps a namespace over its share from queuing
// ahead of the others for the Webhook's.
func (w *Webhook) take(ctx context.Context, ns *share) bool {
	select {
	case ns.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	select {
	case w.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		<-ns.slots
		return false
	}
}

// summarize turns verdicts into the review's outcome. The message lists
// every image not allowed with its reason: the policy rule ids of a deny,
// or why there was no decision.
func summarize(vs []verdict) (allowed bool, reason, message string) {
	var denied, undecided, timedOut bool
	var parts []string
	for i := range vs {
		v := &vs[i]
		switch {
		case v.allowed():
			continue
		case v.timedOut:
			timedOut = true
			parts = append(parts, fmt.Sprintf("%q: no decision before the webhook's deadline", v.img.Ref))
		case v.err != nil:
			undecided = true
			parts = append(parts, fmt.Sprintf("%q: %s", v.img.Ref, bound(v.err.Error(), 200)))
		default:
			denied = true
			rules := v.decision.Rules()
			if len(rules) == 0 {
				rules = []string{"(no rule id)"}
			}
			parts = append(parts, fmt.Sprintf("%q %s: %s", v.img.Ref, v.decision.Digest, strings.Join(rules, ", ")))
		}
	}
	switch {
	case denied:
		reason = ReasonDenied
	case timedOut:
		reason = ReasonTimeout
	case undecided:
		reason = ReasonUndecided
	default:
		return true, ReasonVerified, ""
	}
	return false, reason, "images not allowed: " + strings.Join(parts, "; ")
}

// maxMessage bounds status.message; the audit event has the full list.
const maxMessage = 2048

// response writes r as an AdmissionResponse for req.
func (w *Webhook) response(req *admissionv1.AdmissionRequest, r result, auditID string) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: r.allowed, AuditAnnotations: map[string]string{
		AnnotationDecision: "deny", AnnotationReason: r.reason,
	}}
	if auditID != "" {
		resp.AuditAnnotations[AnnotationAuditID] = auditID
	}
	if digests := verifiedDigests(r.verdicts); len(digests) > 0 {
		b, _ := json.Marshal(digests) // a map of strings always marshals
		resp.AuditAnnotations[AnnotationImages] = string(b)
	}
	if r.allowed {
		resp.AuditAnnotations[AnnotationDecision] = "allow"
		resp.Warnings = tagWarnings(r.verdicts)
		return resp
	}
	resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
		Message: bound(escaped("ztci deploy gate: "+r.message), maxMessage)}
	return resp
}

// escaped writes each character of s that does not print (control
// characters, ESC, line breaks, bidirectional overrides) as its Go escape
// ("\x1b", "\n", "\u202e"). status.message reaches terminals: the deploying
// user's, and an administrator's through the Event a controller records
// when the Pod it creates is denied (kubectl describe, get events). Part
// of it is the object's own text: the gate's error about an image it
// cannot read quotes the reference raw, and the API server refuses no
// control character inside an image, so an object could otherwise write
// escape sequences, or a forged line, onto those terminals. The audit
// event keeps the message as it was.
func escaped(s string) string {
	odd := func(r rune) bool { return !unicode.IsPrint(r) }
	if !strings.ContainsFunc(s, odd) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !odd(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r) // '\x1b'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func verifiedDigests(vs []verdict) map[string]string {
	m := map[string]string{}
	for i := range vs {
		if vs[i].allowed() {
			m[vs[i].img.Ref] = vs[i].decision.Digest
		}
	}
	return m
}

// maxWarnings bounds the warnings of one response: the API server may drop
// the rest, and kubectl prints each on its own line.
const maxWarnings = 8

// tagWarnings tells the deploying user which images were allowed by tag: a
// tag may be moved to other content after this review, and only the digest
// the gate verified is what it verified.
func tagWarnings(vs []verdict) []string {
	var out []string
	for i := range vs {
		v := &vs[i]
		if !v.allowed() || byDigest(v.img.Ref) {
			continue
		}
		if len(out) == maxWarnings {
			out = append(out, "more images referenced by tag; see the verified-images audit annotation")
			break
		}
		out = append(out, bound(printable(fmt.Sprintf("%s verified as %s; a tag can move: deploy by digest", v.img.Ref, v.decision.Digest)), 256))
	}
	return out
}

// byDigest reports whether ref names a digest, which a runtime pulls
// whatever tag ref also names. What follows the '@' is the gate's to read
// (strictly: a reference it cannot read is undecided).
func byDigest(ref string) bool { return strings.Contains(ref, "@") }

// byTag lists, quoted, the images referenced without a digest.
func byTag(images []Image) []string {
	var out []string
	for _, img := range images {
		if !byDigest(img.Ref) {
			out = append(out, strconv.Quote(img.Ref))
		}
	}
	return out
}

// event is the webhook's audit record of one review: the Kubernetes user
// who asked, what for, and the gate's event for each image.
func (w *Webhook) event(req *admissionv1.AdmissionRequest, r result) audit.Event {
	ev := audit.Event{ID: newEventID(), Time: w.cfg.now().UTC(), Source: AuditSource, Action: AuditAction,
		Outcome: audit.OutcomeDeny, Actor: actor(req), Resource: resourceName(req, r.name), Reason: r.reason}
	if r.allowed {
		ev.Outcome = audit.OutcomeAllow
	}
	ev.Attributes = map[string]string{
		"admission_uid": string(req.UID),
		"operation":     string(req.Operation),
		"dry_run":       strconv.FormatBool(dryRun(req)),
	}
	if r.message != "" {
		ev.Attributes["message"] = r.message
	}
	var images, gateIDs []string
	for i := range r.verdicts {
		v := &r.verdicts[i]
		images = append(images, auditRef(v.img.Ref)+"="+verdictSummary(v))
		if v.decision.AuditID != "" {
			gateIDs = append(gateIDs, v.decision.AuditID)
		}
		if v.decision.Job != "" {
			ev.Attributes["gate_caller"] = v.decision.Job
		}
		if !v.allowed() {
			for _, rule := range v.decision.Rules() {
				ev.Violations = append(ev.Violations, auditRef(v.img.Ref)+": "+rule)
			}
		}
	}
	if len(images) > 0 {
		ev.Attributes["images"] = strings.Join(images, " ")
	}
	if len(gateIDs) > 0 {
		ev.Attributes["gate_audit_ids"] = strings.Join(gateIDs, " ")
	}
	fitEvent(&ev)
	return ev
}

// fitEvent keeps ev within what an audit event may be (audit.MaxEventSize
// encoded). What makes one large is the object: up to WithMaxImages image
// references as spelt in it, of any length, each listed with its outcome
// and with every rule that denied it. Over the bound, every encoding sink
// refuses the event, and the review was denied with no record of the
// webhook's. The message, the image list and the violations are then cut
// (saying how many violations were left out) until it fits; the gate's own
// events, one per image (gate_audit_ids), keep each image's outcome.
func fitEvent(ev *audit.Event) {
	if _, err := audit.Encode(*ev); err == nil {
		return
	}
	message, images, violations := ev.Attributes["message"], ev.Attributes["images"], ev.Violations
	for budget := 16 << 10; budget >= 128; budget /= 2 {
		if message != "" {
			ev.Attributes["message"] = bound(message, budget)
		}
		if images != "" {
			ev.Attributes["images"] = bound(images, budget)
		}
		ev.Violations = nil
		for i, size := 0, 0; i < len(violations); i++ {
			v := bound(violations[i], 512)
			if size += len(v); size > budget {
				ev.Violations = append(ev.Violations, fmt.Sprintf("… %d more violations (the gate's events name them)", len(violations)-i))
				break
			}
			ev.Violations = append(ev.Violations, v)
		}
		if _, err := audit.Encode(*ev); err == nil {
			return
		}
	}
}

// auditRef is ref as the audit event lists it: as spelt when it holds only
// characters a reference can (letters, digits, "._-:/@"), else quoted. The
// API server refuses no space or "=" inside an image, so an image such as
// "a:v1=sha256:… b:v2" would otherwise read, in the space-separated
// "ref=outcome" list, as an allowed image and its digest. A quoted ref
// starts with '"', which no plain one can.
func auditRef(ref string) string {
	odd := func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-:/@", c))
	}
	if strings.ContainsFunc(ref, odd) {
		return strconv.Quote(ref)
	}
	return ref
}

func verdictSummary(v *verdict) string {
	switch {
	case v.timedOut:
		return "timeout"
	case v.err != nil:
		return "error"
	case v.allowed():
		return v.decision.Digest
	default:
		return "deny:" + v.decision.Digest
	}
}

// actor is the Kubernetes user the API server authenticated. It is the
// API server's word only when the server the handler runs in requires the
// API server's client certificate (see the package documentation): TLS
// alone authenticates the webhook, not its caller. The gate itself only
// ever sees the webhook's own identity.
func actor(req *admissionv1.AdmissionRequest) audit.Actor {
	u := req.UserInfo
	a := audit.Actor{ID: u.Username, Kind: "user"}
	if strings.HasPrefix(u.Username, "system:serviceaccount:") {
		a.Kind = "service"
	}
	if a.ID == "" {
		a.ID = "unknown"
	}
	a.Claims = map[string]string{}
	if u.UID != "" {
		a.Claims["uid"] = u.UID
	}
	if len(u.Groups) > 0 {
		a.Claims["groups"] = bound(strings.Join(slices.Sorted(slices.Values(u.Groups)), ","), 512)
	}
	return a
}

// resourceName is "<group/version Kind> <namespace>/<name>".
func resourceName(req *admissionv1.AdmissionRequest, name string) string {
	ns := req.Namespace
	if ns == "" {
		ns = "-"
	}
	return bound(gvkString(req.Kind)+" "+ns+"/"+name, 512)
}

// objectName is the request's name, or the object's generateName followed
// by "*" for a create whose name the API server has not chosen yet.
func objectName(req *admissionv1.AdmissionRequest, obj object) string {
	switch {
	case req.Name != "":
		return req.Name
	case obj != nil && obj.GetGenerateName() != "":
		return obj.GetGenerateName() + "*"
	}
	return ""
}

func dryRun(req *admissionv1.AdmissionRequest) bool { return req.DryRun != nil && *req.DryRun }

// bound cuts s to at most n bytes, marking the cut.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-len("…")], "") + "…"
}

// printable drops control and other non-printing characters: a warning
// becomes an HTTP Warning header and a line on the user's terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
}

func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

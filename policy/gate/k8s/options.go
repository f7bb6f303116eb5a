package k8s

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Defaults.
const (
	// DefaultTimeout bounds one review's decisions. The API server's
	// timeoutSeconds defaults to 10 s; the webhook answers (a deny, if the
	// gate has not finished) well before it gives up.
	DefaultTimeout = 7 * time.Second
	// DefaultMaxBody is the largest AdmissionReview accepted: an object and
	// its old version of up to 1.5 MiB each (etcd's default request limit)
	// plus the envelope.
	DefaultMaxBody = 4 << 20
	// DefaultMaxImages is the most distinct images one object may name.
	DefaultMaxImages = 64
	// DefaultParallelism is the number of gate decisions running at once,
	// across all reviews.
	DefaultParallelism = 8
)

// auditGrace bounds the audit write that follows the decisions, which runs
// even when the decision deadline has passed so that a timeout deny is
// recorded too. When the review must be answered sooner (the deadline of
// Review's ctx, the API server's "timeout"), the audit write gets at most
// half of what is left and must end by that deadline.
const auditGrace = time.Second

// answerMargin is how long past the audit write the handler may still
// write its answer.
const answerMargin = 2 * time.Second

// serverMargin is how much earlier than the API server's own timeout (the
// "timeout" query parameter it sends) the review, audit write included,
// must be done, so that the answer reaches the API server in time; a
// quarter of that timeout when it is shorter than four margins.
const serverMargin = time.Second

// Option configures [New]. An option given an invalid value makes New fail
// with an error wrapping [ErrConfig].
type Option func(*config) error

type config struct {
	log         *slog.Logger
	now         func() time.Time
	timeout     time.Duration
	maxBody     int64
	maxImages   int
	parallelism int
	// perNamespace: WithParallelismPerNamespace; 0 until New derives it
	// from parallelism.
	perNamespace int
	passUngated  bool
	// digestsOnly: WithDigestsRequired.
	digestsOnly bool
	// callerRoots: WithCallerCertificates; nil checks no caller.
	callerRoots *x509.CertPool
	// callerNames: the names one of which the caller's certificate must
	// carry; empty accepts any certificate of callerRoots.
	callerNames []string
}

func defaults() config {
	return config{log: slog.New(slog.DiscardHandler), now: time.Now, timeout: DefaultTimeout,
		maxBody: DefaultMaxBody, maxImages: DefaultMaxImages, parallelism: DefaultParallelism}
}

// WithLogger sets the diagnostics logger (default: silent). Tokens are never
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

// WithClock sets the clock used for audit timestamps.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithTimeout bounds the decisions of one review (default 7 s). Set it at
// least 2 s below the webhook's timeoutSeconds: when it passes, the review
// is denied and the deny is audited (bounded by a further second), so the
// API server receives an explicit deny instead of timing out and applying
// its failurePolicy. It is shortened further to fit the answer's deadline
// (the API server's "timeout" query parameter less a margin, or the
// deadline of the ctx given to [Webhook.Review]): the decisions then end
// early enough to leave the audit write its share, at most a second and at
// most half of the time left, and an audit write not done by that deadline
// is a deny.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout must be positive", ErrConfig)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxBody sets the largest request body in bytes (default 4 MiB).
func WithMaxBody(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: max body must be positive", ErrConfig)
		}
		c.maxBody = n
		return nil
	}
}

// WithMaxImages sets the most distinct images one object may name (default
// 64); an object naming more is denied.
func WithMaxImages(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: max images must be positive", ErrConfig)
		}
		c.maxImages = n
		return nil
	}
}

// WithParallelism sets how many gate decisions run at once across all
// reviews (default 8). A decision waiting for a slot past the review's
// deadline is a deny. Every decision is the webhook's own job to the gate,
// so above the gate's gate.Limits.MaxInFlightPerJob (default 8) raise that
// too, or the excess is undecided (gate.ErrJobBusy) and denied. One
// namespace's reviews hold at most [WithParallelismPerNamespace] of them.
func WithParallelism(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: parallelism must be positive", ErrConfig)
		}
		c.parallelism = n
		return nil
	}
}

// WithUngatedKindsAllowedUnsafe admits objects of kinds the webhook cannot
// read images from (custom resources, Scale, Binding…) without asking the
// gate, instead of denying them. It is safe only when the webhook is also
// registered for Pods, so that whatever such an object makes a controller
// run is admitted as a Pod. A request for the pods resource itself or its
// ephemeralcontainers subresource is never passed unread, whatever kind
// it carries (before Kubernetes 1.22 the subresource's was
// EphemeralContainers): it is what a kubelet runs.
func WithUngatedKindsAllowedUnsafe() Option {
	return func(c *config) error {
		c.passUngated = true
		return nil
	}
}

// WithDigestsRequired denies, before the gate is asked, every object that
// references an image by tag alone ("registry.example/app:v1"); one that
// names a digest ("app@sha256:…", or "app:v1@sha256:…", which runtimes
// pull by its digest) is decided as usual. Kyverno's verifyImages checks
// the same (verifyDigest). The gate verifies what a tag names when it is
// asked; the node resolves the tag again when it pulls — later, with its
// own credentials, through its registry mirrors, or not at all under
// imagePullPolicy IfNotPresent when an image of that tag is already on
// the node — so only a digest makes what runs what was verified. The
// gate's policy cannot refuse tags itself: its input names the pinned
// digest, not how the object spelt the image.
func WithDigestsRequired() Option {
	return func(c *config) error {
		c.digestsOnly = true
		return nil
	}
}

// WithParallelismPerNamespace sets how many of the [WithParallelism]
// decision slots the reviews of one namespace may hold at once (default
// half of them, at least one). Whoever may create Pods in a namespace
// chooses their images: naming many that the gate reads slowly (a
// repository that answers slowly, attestations that take the whole
// budget), its reviews would otherwise hold every slot until their
// deadline and every other namespace's deploys would be denied as timed
// out. Someone who deploys to k namespaces gets k shares: lower it when
// one identity may deploy to several. The requesting user is no better a
// key: the Pods of a Deployment, Job or StatefulSet are created by the
// controller manager's service accounts, one user for every tenant's
// Pods, so a bound per user would let one tenant's slow images starve
// every other tenant's Pod creations.
func WithParallelismPerNamespace(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: parallelism per namespace must be positive", ErrConfig)
		}
		c.perNamespace = n
		return nil
	}
}

// WithCallerCertificates makes [Webhook.ServeHTTP] answer only a caller
// that presented, on its TLS connection, a client certificate valid now
// for client authentication and chaining to roots: the API server, given
// that certificate by its admission configuration's kubeConfigFile. With
// names, the certificate must also name one of them, as its subject's
// common name or a DNS name. Any other request — plain HTTP, no
// certificate, one issued by another CA or naming another subject — gets
// 403 before its body is read: no review, no gate decision, no audit
// event. Without this option the handler answers whoever reaches it (see
// the package documentation).
//
// roots should issue nothing but that certificate. The cluster's client
// CA does not qualify without names: it also signs every kubelet's
// client certificate and often users' ones, each of which would pass; and
// with names it is only as strict as whoever may approve a certificate
// signing request for its signer (kubernetes.io/kube-apiserver-client
// signs any name approved).
//
// The check is the handler's own, so it holds whatever the server's
// tls.Config asks of clients; but the server must ask for certificates
// (tls.RequireAndVerifyClientCert with the same roots, or at least
// tls.RequestClientCert), or no caller has one to show.
func WithCallerCertificates(roots *x509.CertPool, names ...string) Option {
	return func(c *config) error {
		if roots == nil {
			return fmt.Errorf("%w: nil caller certificate roots", ErrConfig)
		}
		if slices.Contains(names, "") {
			return fmt.Errorf("%w: empty caller certificate name", ErrConfig)
		}
		c.callerRoots, c.callerNames = roots, slices.Clone(names)
		return nil
	}
}

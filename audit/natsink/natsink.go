package natsink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
)

var (
	// ErrInvalidTenant: the tenant of an event is missing or not a single
	// subject token. It wraps [audit.ErrInvalidEvent].
	ErrInvalidTenant = fmt.Errorf("%w: invalid tenant", audit.ErrInvalidEvent)
	// ErrConfig: New was given a missing argument, an unusable Option or a
	// nil one. It wraps [audit.ErrConfig].
	ErrConfig = fmt.Errorf("%w: natsink", audit.ErrConfig)
)

// Publisher is the part of [jetstream.JetStream] the sink uses; a
// jetstream.JetStream satisfies it. PublishMsg must return only after the
// server's acknowledgement.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// TenantFunc returns the tenant of an event.
type TenantFunc func(audit.Event) string

// TenantAttribute returns a TenantFunc reading e.Attributes[key].
func TenantAttribute(key string) TenantFunc {
	return func(e audit.Event) string { return e.Attributes[key] }
}

// Option configures [New]. An unusable value or a nil Option makes New
// fail with [ErrConfig].
type Option func(*config) error

// config is what the options set.
type config struct {
	prefix    string
	logger    *slog.Logger
	unchecked bool
	every     time.Duration // stream check interval
	replicas  int           // minimum stream replicas
	minAge    time.Duration // minimum stream max age; 0: none
}

// DefaultStreamCheckInterval is how long a passed stream check holds
// unless [WithStreamCheckInterval].
const DefaultStreamCheckInterval = time.Minute

// WithSubjectPrefix sets the subject prefix (default "ztci.audit"); it must
// be one or more dot-separated tokens without wildcards.
func WithSubjectPrefix(prefix string) Option {
	return func(c *config) error {
		if prefix == "" || prefix[0] == '.' || prefix[len(prefix)-1] == '.' {
			return fmt.Errorf("subject prefix %q: want dot-separated tokens", prefix)
		}
		for i, tok := 0, 0; i <= len(prefix); i++ {
			if i == len(prefix) || prefix[i] == '.' {
				if !validToken(prefix[tok:i]) {
					return fmt.Errorf("subject prefix %q: token %q: want letters, digits, '-' or '_'", prefix, prefix[tok:i])
				}
				tok = i + 1
			}
		}
		c.prefix = prefix
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithoutStreamCheck skips [CheckStream]: for a Publisher that is no
// [StreamLookup] (a test double, a relay), whose stream the caller checks
// or which has none. Without it such a Publisher makes New fail.
func WithoutStreamCheck() Option {
	return func(c *config) error {
		c.unchecked = true
		return nil
	}
}

// WithStreamCheckInterval sets how long a passed [CheckStream] holds
// (default [DefaultStreamCheckInterval]): the first Write after it reads
// the stream's settings again, so a stream edited after the sink started
// is refused at most d later. Each check is one request to the server.
func WithStreamCheckInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("stream check interval %v: want > 0", d)
		}
		c.every = d
		return nil
	}
}

// WithMinReplicas refuses, with [ErrStream], a stream with fewer than n
// replicas (default 1), at each stream check: a fleet's stream is R3, and
// an R1 stream loses every event when its server's disk does. Not with
// [WithoutStreamCheck].
func WithMinReplicas(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("min replicas %d: want >= 1", n)
		}
		c.replicas = n
		return nil
	}
}

// WithMinMaxAge refuses, with [ErrStream], a stream whose max age is
// shorter than d (0, keeping events for ever, passes), at each stream
// check: the operator's retention, which a stream edited later, or made
// again, to keep events for a second does not meet. Without it only a max
// age shorter than the one the sink's first check saw is refused (see
// [New]). Not with [WithoutStreamCheck].
func WithMinMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("min max age %v: want > 0", d)
		}
		c.minAge = d
		return nil
	}
}

// Sink publishes audit events to a JetStream stream. It is safe for
// concurrent use and holds no resources of its own: close the NATS
// connection to release them.
type Sink struct {
	js     Publisher
	stream string
	tenant TenantFunc
	prefix string
	logger *slog.Logger

	lookup   StreamLookup // nil with WithoutStreamCheck
	every    time.Duration
	replicas int
	minAge   time.Duration
	checking chan struct{} // holds one token while a stream check runs
	// Held with checking: the stream's max age at the first check that
	// passed (0: for ever), once seen.
	firstAge time.Duration
	seenAge  bool
	last     streamMark   // the stream's state at the last passing check
	born     time.Time    // monotonic origin of due
	due      atomic.Int64 // when the stream is checked next, since born; 0: at once
}

var _ audit.Sink = (*Sink)(nil)

// New returns a sink publishing to stream through js, with the tenant of
// each event given by tenant. js must also be a [StreamLookup] (a
// jetstream.JetStream is), unless [WithoutStreamCheck]: the first Write,
// and the first after each check interval ([WithStreamCheckInterval]),
// checks the stream's settings with [CheckStream] (and [WithMinReplicas],
// [WithMinMaxAge]), and no event is published while they fail. A max age
// shorter than the one the first passing check saw (a stream kept for ever
// given one, or a year's made a second) fails too, with [ErrStream], until
// it is restored: events written earlier would age out sooner than the
// operator's retention. A sink made after the change takes it as the
// operator's: set [WithMinMaxAge] to hold a floor across restarts. A check
// that finds the stream lost events since the last passing one (made
// again, say) fails with [ErrEventsLost] at every Write until the sink is
// made again.
func New(js Publisher, stream string, tenant TenantFunc, opts ...Option) (*Sink, error) {
	if js == nil || tenant == nil || stream == "" {
		return nil, fmt.Errorf("%w: publisher, stream and tenant func are required", ErrConfig)
	}
	c := config{prefix: "ztci.audit", logger: slog.New(slog.DiscardHandler), every: DefaultStreamCheckInterval, replicas: 1}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	s := &Sink{js: js, stream: stream, tenant: tenant, prefix: c.prefix, logger: c.logger,
		every: c.every, replicas: c.replicas, minAge: c.minAge, checking: make(chan struct{}, 1), born: time.Now()}
	if c.unchecked && (c.replicas > 1 || c.minAge > 0) {
		return nil, fmt.Errorf("%w: WithMinReplicas and WithMinMaxAge need the stream check, which WithoutStreamCheck skips", ErrConfig)
	}
	if !c.unchecked {
		lookup, ok := js.(StreamLookup)
		if !ok {
			return nil, fmt.Errorf("%w: the publisher cannot read the stream's settings (a jetstream.JetStream can); WithoutStreamCheck skips the check", ErrConfig)
		}
		s.lookup = lookup
	}
	return s, nil
}

// Subject returns the subject an event of tenant is published to.
func (s *Sink) Subject(tenant string) string { return s.prefix + "." + tenant }

// Write publishes e and waits for the stream's acknowledgement; while the
// stream's settings, read again once per check interval, fail
// [CheckStream], [WithMinReplicas] or [WithMinMaxAge], or its max age
// shrank (see [New]), it publishes nothing and returns an
// error wrapping [ErrStream]. A duplicate
// (same tenant and event id within the de-duplication window) is acknowledged without
// being stored again and is not an error, whatever the message stored
// under that id holds (see the package documentation), as long as that
// message is on the event's subject: one on another subject (published
// under the id by another writer) fails with [audit.ErrSink]. That check
// reads the stored message (STREAM.MSG.GET, or a direct get) and is
// skipped [WithoutStreamCheck]. Errors wrap [audit.ErrSink] or
// [audit.ErrInvalidEvent].
func (s *Sink) Write(ctx context.Context, e audit.Event) error {
	tenant := s.tenant(e)
	if !validToken(tenant) {
		// Not the tenant itself: the tenant func derives it from the event.
		return fmt.Errorf("%w: %d bytes: want 1 or more letters, digits, '-' or '_'", ErrInvalidTenant, len(tenant))
	}
	data, err := audit.Encode(e)
	if err != nil {
		return err
	}
	if err := s.checkStream(ctx); err != nil {
		return err
	}
	msg := &nats.Msg{Subject: s.Subject(tenant), Data: data, Header: nats.Header{}}
	msg.Header.Set("Content-Type", "application/json")
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID(tenant, e.ID)), jetstream.WithExpectStream(s.stream))
	if err != nil {
		return fmt.Errorf("%w: jetstream publish to %s: %w", audit.ErrSink, msg.Subject, err)
	}
	if ack == nil {
		// A Publisher that reports no error and no acknowledgement has not
		// shown the event stored: never count that as recorded.
		return fmt.Errorf("%w: jetstream publish to %s: no acknowledgement", audit.ErrSink, msg.Subject)
	}
	if ack.Stream != s.stream {
		return fmt.Errorf("%w: jetstream: acknowledged by stream %q, want %q", audit.ErrSink, ack.Stream, s.stream)
	}
	if ack.Duplicate {
		if err := s.ownDuplicate(ctx, ack.Sequence, msg.Subject); err != nil {
			return err
		}
		s.logger.DebugContext(ctx, "natsink: duplicate event dropped by the stream", "id", e.ID, "seq", ack.Sequence)
	}
	return nil
}

// ownDuplicate checks, when the sink can read the stream (not with
// [WithoutStreamCheck]), that the message the stream reported an event a
// duplicate of, at seq, is on the event's own subject. The de-duplication
// window is shared by every tenant's subject and the Nats-Msg-Id is the
// publisher's choice: a writer allowed to publish on its own tenant's
// subject only could store a message there under another tenant's
// coming event's id, and that event was dropped and acknowledged as
// stored.
func (s *Sink) ownDuplicate(ctx context.Context, seq uint64, subject string) error {
	if s.lookup == nil {
		return nil
	}
	st, err := s.lookup.Stream(ctx, s.stream)
	if err != nil {
		return fmt.Errorf("%w: jetstream: duplicate at seq %d of stream %s not read: %w", audit.ErrSink, seq, s.stream, err)
	}
	m, err := st.GetMsg(ctx, seq)
	switch {
	case err != nil:
		return fmt.Errorf("%w: jetstream: duplicate at seq %d of stream %s not read: %w", audit.ErrSink, seq, s.stream, err)
	case m.Subject != subject:
		return fmt.Errorf("%w: jetstream: %s holds a message of another subject under this event's Nats-Msg-Id (seq %d); event not stored", audit.ErrSink, s.stream, seq)
	}
	return nil
}

// msgIDHashPrefix starts the Nats-Msg-Id of an event id that cannot be
// carried as it is.
const msgIDHashPrefix = "sha256:"

// msgID returns the Nats-Msg-Id [Sink.Write] publishes the event with id
// of tenant under: the tenant, a colon, and the id itself when it is at
// most 128 bytes of printable ASCII without spaces (not starting with
// "sha256:"), otherwise "sha256:" and the hex SHA-256 of the id. The
// stream's de-duplication window is shared by every tenant's subject, so
// an id alone let a tenant that chooses its event ids (through a producer
// or a vendor's API) have another tenant's event with the same id dropped
// as a duplicate, acknowledged and never stored; a tenant is one token of
// letters, digits, '-' and '_', so the colon ends it. A NATS header value
// loses leading and trailing whitespace and has CR and LF replaced, so
// carrying any id as it is would let two distinct events share one
// Nats-Msg-Id; distinct (tenant, id) pairs always give distinct
// Nats-Msg-Ids.
func msgID(tenant, id string) string {
	if len(id) <= 128 && !strings.HasPrefix(id, msgIDHashPrefix) {
		plain := true
		for _, c := range []byte(id) {
			if c <= ' ' || c >= 0x7f {
				plain = false
				break
			}
		}
		if plain && id != "" {
			return tenant + ":" + id
		}
	}
	sum := sha256.Sum256([]byte(id))
	return tenant + ":" + msgIDHashPrefix + hex.EncodeToString(sum[:])
}

func validToken(t string) bool {
	if t == "" || len(t) > 64 {
		return false
	}
	for _, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

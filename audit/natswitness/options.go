package natswitness

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// DefaultSubjectPrefix is the subject prefix of published checkpoints.
const DefaultSubjectPrefix = "ztci.checkpoints"

// Errors.
var (
	// ErrUnavailable: the stream or bucket could not be reached, or did
	// not acknowledge. Nothing counts as published; retry.
	ErrUnavailable = errors.New("natswitness: JetStream unavailable")
	// ErrConfig: a constructor was given a missing argument, an unusable
	// option, or an option meant for another constructor.
	ErrConfig = errors.New("natswitness: invalid configuration")
)

// Option configures [NewPublisher], [Follow] and [NewKVStore]; each option
// says which of them accept it, and the others reject it with [ErrConfig].
type Option struct {
	name  string
	kinds kind
	apply func(*config) error
}

type kind uint8

const (
	forPublisher kind = 1 << iota
	forFollow
	forStore
)

type config struct {
	prefix   string
	logger   *slog.Logger
	timeout  time.Duration
	consumer string
	replicas int // minimum stream replicas
}

func build(k kind, ctor string, opts []Option) (config, error) {
	c := config{prefix: DefaultSubjectPrefix, logger: slog.New(slog.DiscardHandler), timeout: 5 * time.Second, consumer: "ztci-witness", replicas: 1}
	for _, o := range opts {
		if o.apply == nil {
			return config{}, fmt.Errorf("%w: zero Option", ErrConfig)
		}
		if o.kinds&k == 0 {
			return config{}, fmt.Errorf("%w: %s does not apply to %s", ErrConfig, o.name, ctor)
		}
		if err := o.apply(&c); err != nil {
			return config{}, fmt.Errorf("%w: %s: %w", ErrConfig, o.name, err)
		}
	}
	return c, nil
}

var (
	subjectPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	consumerName  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// WithSubjectPrefix sets the subject prefix (default
// [DefaultSubjectPrefix]): each origin publishes to
// "<prefix>.<origin token>" ([Subject]). Publishers and followers of one
// fleet use the same prefix. For [NewPublisher] and [Follow].
func WithSubjectPrefix(prefix string) Option {
	return Option{"WithSubjectPrefix", forPublisher | forFollow, func(c *config) error {
		if !subjectPrefix.MatchString(prefix) {
			return fmt.Errorf("%q: want dot-separated tokens of letters, digits, '-' or '_'", prefix)
		}
		c.prefix = prefix
		return nil
	}}
}

// WithLogger sets the diagnostics logger (default: silent). For all.
func WithLogger(l *slog.Logger) Option {
	return Option{"WithLogger", forPublisher | forFollow | forStore, func(c *config) error {
		if l == nil {
			return errors.New("nil logger")
		}
		c.logger = l
		return nil
	}}
}

// WithTimeout bounds each request to NATS (default 5s): a publish and its
// acknowledgement, a read of the stream's settings or of the last
// published checkpoint, a state load or save, an acknowledgement of a
// consumed message. A [Follower]'s consumer redelivers a submission not
// acknowledged within 5 timeouts. For all.
func WithTimeout(d time.Duration) Option {
	return Option{"WithTimeout", forPublisher | forFollow | forStore, func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("timeout %v", d)
		}
		c.timeout = d
		return nil
	}}
}

// WithConsumer names the durable consumer a witness reads the stream with
// (default "ztci-witness"). Two witnesses with separate state need two
// names; a witness restarted under the same name resumes where it
// stopped. A new name (or a consumer deleted or expired) reads the stream
// from its start again; what the witness's state shows was witnessed
// already is acknowledged without being decided again (see the package's
// security contract). For [Follow].
func WithConsumer(name string) Option {
	return Option{"WithConsumer", forFollow, func(c *config) error {
		if !consumerName.MatchString(name) {
			return fmt.Errorf("consumer name %q (1-64 letters, digits, '-' or '_')", name)
		}
		c.consumer = name
		return nil
	}}
}

// WithMinReplicas refuses, with [ErrStream], a checkpoint stream with
// fewer than n replicas (default 1), at each check of its settings: a
// fleet's stream is R3 ([StreamConfig]), and an R1 stream loses every
// checkpoint when its server's disk does. For [NewPublisher] and
// [Follow].
func WithMinReplicas(n int) Option {
	return Option{"WithMinReplicas", forPublisher | forFollow, func(c *config) error {
		if n < 1 {
			return fmt.Errorf("min replicas %d: want >= 1", n)
		}
		c.replicas = n
		return nil
	}}
}

package natsreplay

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/kvconf"
)

// Errors. Every error from [Cache.Claim] other than a replay means "could not
// decide" and the verifier refuses the token.
var (
	// ErrUnavailable: the KV bucket did not answer (no connection, no
	// stream leader, timeout). The token is refused.
	ErrUnavailable = errors.New("natsreplay: replay bucket unavailable")
	// ErrLifetime: the token would have to be recorded for longer than
	// [WithMaxTTL] allows. The token is refused rather than recorded for
	// less than its lifetime.
	ErrLifetime = errors.New("natsreplay: token lifetime exceeds the replay bucket's maximum TTL")
	// ErrConfig: an invalid option, or an existing bucket that cannot give
	// single-use semantics (no per-key TTL, a bucket-wide max age, or a
	// stream that drops values by itself: see [New]).
	ErrConfig = errors.New("natsreplay: invalid configuration")
)

// UnavailableError reports that the bucket could not record a claim. It
// matches [ErrUnavailable] and the underlying NATS error. It never holds the
// token id.
type UnavailableError struct {
	Bucket string
	Err    error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("natsreplay: bucket %q could not record the token id, token refused: %v", e.Bucket, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Cache is an [oidc.ReplayCache] on a JetStream KV bucket. It holds no
// goroutines and needs no Close; the NATS connection belongs to the caller.
type Cache struct {
	kv     jetstream.KeyValue
	bucket string
	cfg    config
}

var _ oidc.ReplayCache = (*Cache)(nil)

// bucketName is what JetStream accepts as a KV bucket name.
var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// New binds to (creating it if needed) the KV bucket that records claimed
// token ids, on the JetStream context js. The bucket keeps one revision per
// key, a per-key TTL (nats-server 2.11 or later) and no bucket-wide max age;
// an existing bucket without per-key TTL or with a max age is refused with
// [ErrConfig], since it could forget a token id before the token expires,
// and so is one whose stream drops values by itself (interest or work-queue
// retention, discard old with a limit, memory storage, fewer replicas than
// [WithReplicas], subjects that do not cover its keys).
// Options: [WithBucket], [WithReplicas], [WithTimeout], [WithMaxTTL],
// [WithClockSkew], [WithClock], [WithLogger].
func New(ctx context.Context, js jetstream.JetStream, opts ...Option) (*Cache, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: nil JetStream", ErrConfig)
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
	kvc := jetstream.KeyValueConfig{
		Bucket:      cfg.bucket,
		Description: "ztci single-use OIDC token ids (SHA-256 of issuer and jti)",
		History:     1,
		Replicas:    cfg.replicas,
		Storage:     jetstream.FileStorage,
		// Expired keys leave a delete marker for this long, so watchers and
		// Create see the removal; kv.Create accepts a deleted key.
		LimitMarkerTTL: time.Minute,
	}
	kv, err := js.CreateKeyValue(ctx, kvc)
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, cfg.bucket)
	}
	if errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
		return nil, fmt.Errorf("%w: the server has no per-key TTL (needs nats-server 2.11 or later): %w", ErrConfig, err)
	}
	if err != nil {
		return nil, &UnavailableError{Bucket: cfg.bucket, Err: err}
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, &UnavailableError{Bucket: cfg.bucket, Err: err}
	}
	if st.TTL() != 0 {
		return nil, fmt.Errorf("%w: bucket %q has a max age of %v; token ids must live exactly as long as their tokens", ErrConfig, cfg.bucket, st.TTL())
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return nil, &UnavailableError{Bucket: cfg.bucket, Err: errors.New("no stream status")}
	}
	if !bs.StreamInfo().Config.AllowMsgTTL {
		return nil, fmt.Errorf("%w: bucket %q does not allow per-key TTL (needs nats-server 2.11 or later and a bucket created with a limit marker TTL)", ErrConfig, cfg.bucket)
	}
	// A stream that drops a claim by itself (interest retention, discard
	// old, memory storage, fewer replicas than asked) lets the token it
	// recorded be accepted again.
	if err := kvconf.Check(bs.StreamInfo().Config, cfg.replicas); err != nil {
		return nil, fmt.Errorf("%w: bucket %q: %w", ErrConfig, cfg.bucket, err)
	}
	return &Cache{kv: kv, bucket: cfg.bucket, cfg: cfg}, nil
}

// Claim implements [oidc.ReplayCache]: it creates the key SHA-256(key) in the
// bucket with a TTL reaching until plus [WithClockSkew] (rounded up to a
// whole second, at least one second). It returns nil when this call created the key, an error
// wrapping [oidc.ErrReplayed] when the key already exists, and an error
// wrapping [ErrUnavailable] or [ErrLifetime] when it cannot decide. A claim
// whose answer was lost (timeout after the server stored it) is refused and
// the token is spent: denying is the safe side.
func (c *Cache) Claim(ctx context.Context, key string, until time.Time) error {
	ttl := until.Sub(c.cfg.now())
	if ttl > c.cfg.maxTTL {
		return fmt.Errorf("%w: %v > %v", ErrLifetime, ttl.Round(time.Second), c.cfg.maxTTL)
	}
	// A lifetime so long that adding the skew or rounding up would
	// overflow (until.Sub saturates; WithMaxTTL has no upper bound) would
	// wrap to a negative TTL and so to the one-second minimum.
	if ttl > math.MaxInt64-c.cfg.skew-time.Second {
		return fmt.Errorf("%w: a lifetime of %v cannot be recorded", ErrLifetime, ttl.Round(time.Second))
	}
	// The claiming verifier's clock may run ahead of another's: keep the
	// key until every verifier's clock has passed until, rounded up to a
	// whole second.
	ttl += c.cfg.skew
	if ttl > 0 {
		ttl = (ttl + time.Second - 1) / time.Second * time.Second
	}
	ttl = max(ttl, time.Second)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	_, err := c.kv.Create(ctx, Key(key), nil, jetstream.KeyTTL(ttl))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrKeyExists):
		return &oidc.ClaimError{Claim: "jti", Want: "a token id not used before", Got: "a token id already used", Err: oidc.ErrReplayed}
	default:
		c.cfg.logger.WarnContext(ctx, "natsreplay: claim failed, token refused", "bucket", c.bucket, "error", err)
		return &UnavailableError{Bucket: c.bucket, Err: err}
	}
}

// Key returns the KV key under which a replay key is recorded: the unpadded
// base64url SHA-256 of key. The bucket never holds token ids, and any key is
// a valid KV key.
func Key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

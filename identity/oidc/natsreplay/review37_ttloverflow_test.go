package natsreplay_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/internal/itest"
)

// A vendor who lifts the lifetime bound (WithMaxTTL(math.MaxInt64), which
// New accepts) and a token whose exp lies centuries ahead: until.Sub(now)
// saturates near math.MaxInt64, adding the clock skew or rounding up to a
// whole second overflowed to a negative duration, and Claim recorded the
// token id for the minimum, one second. One second later the token was
// accepted again. Claim must record the id for at least the token's
// lifetime or refuse the token (ErrLifetime).
func TestReview37TTLOverflowNeverShortensTheRecord(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	now := time.Now()
	tests := []struct {
		name   string
		maxTTL time.Duration
		until  time.Time
	}{
		{"saturated", math.MaxInt64, time.Unix(1<<60, 0)},
		{"skew overflows", math.MaxInt64, now.Add(math.MaxInt64 - time.Second)},
		{"rounding overflows", math.MaxInt64 - natsreplay.DefaultClockSkew, now.Add(math.MaxInt64 - natsreplay.DefaultClockSkew - 1)},
		{"century", math.MaxInt64, now.Add(100 * 365 * 24 * time.Hour)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket := "b37ttl" + string(rune('a'+i))
			rc, err := natsreplay.New(ctx, js, natsreplay.WithBucket(bucket), natsreplay.WithMaxTTL(tt.maxTTL),
				natsreplay.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			const key = "https://ci.example\x00long-lived"
			err = rc.Claim(ctx, key, tt.until)
			if errors.Is(err, natsreplay.ErrLifetime) {
				return // refused: never accepted twice
			}
			if err != nil {
				t.Fatal(err)
			}
			s, err := js.Stream(ctx, "KV_"+bucket)
			if err != nil {
				t.Fatal(err)
			}
			m, err := s.GetLastMsgForSubject(ctx, "$KV."+bucket+"."+natsreplay.Key(key))
			if err != nil {
				t.Fatal(err)
			}
			ttl, err := time.ParseDuration(m.Header.Get(jetstream.MsgTTLHeader))
			if err != nil {
				t.Fatalf("TTL header %q: %v", m.Header.Get(jetstream.MsgTTLHeader), err)
			}
			if life := tt.until.Sub(now); ttl < life {
				t.Errorf("token valid for %v recorded for %v", life, ttl)
			}
		})
	}
}

package natsreplay_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/internal/itest"
)

// Two verifier replicas whose clocks differ by 4s, far less than the
// verifier's 30s leeway: the one running ahead claims a token, the other
// must still see it as spent for as long as its own clock says the token is
// valid. A TTL computed as until - now on the fast replica expires the key
// 4s early, and the slow replica accepts the token a second time.
func TestReview7ClockSkewBetweenReplicasNoReplay(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	const skew = 4 * time.Second
	fast, err := natsreplay.New(t.Context(), js, natsreplay.WithClock(func() time.Time { return time.Now().Add(skew) }))
	if err != nil {
		t.Fatal(err)
	}
	slow, err := natsreplay.New(t.Context(), js)
	if err != nil {
		t.Fatal(err)
	}
	const key = "https://ci.example.com\x00skewed-jti"
	// exp+leeway is 6s away (true time): valid on both replicas now.
	until := time.Now().Add(6 * time.Second)
	if err := fast.Claim(t.Context(), key, until); err != nil {
		t.Fatal(err)
	}
	// Present the token to the slow replica until its own clock says the
	// token has expired (it would refuse it then without asking).
	for time.Now().Before(until.Add(-300 * time.Millisecond)) {
		err := slow.Claim(t.Context(), key, until)
		if err == nil {
			t.Fatalf("token accepted twice: slow replica claimed it %v before exp+leeway", time.Until(until).Round(100*time.Millisecond))
		}
		if !errors.Is(err, oidc.ErrReplayed) {
			t.Fatalf("slow replica: %v, want ErrReplayed", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestReview7ClockSkewOption(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 2 * time.Hour} {
		js, _ := jetstream.New(&nats.Conn{})
		if _, err := natsreplay.New(t.Context(), js, natsreplay.WithClockSkew(d)); !errors.Is(err, natsreplay.ErrConfig) {
			t.Errorf("WithClockSkew(%v): %v, want ErrConfig", d, err)
		}
	}
}

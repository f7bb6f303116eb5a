package natsreplay_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/internal/itest"
)

// New checked the settings of the stream named KV_<bucket>, but a claim is
// a publish to $KV.<bucket>.<key>, stored by whichever stream captures
// that subject. A bucket stream with good settings and a decoy subject
// passed the checks while another stream, with interest retention (or a
// max age, or memory storage), captured the claims: it stores nothing,
// so every Create succeeded and one token was accepted any number of
// times. New must refuse a bucket stream that does not own its keys'
// subjects.
func TestReview37SubjectsNewRefusesBucketThatDoesNotOwnItsKeys(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	tests := []struct {
		name     string
		subjects func(bucket string) []string
	}{
		{"decoy", func(string) []string { return []string{"decoy.>"} }},
		{"narrow", func(b string) []string { return []string{"$KV." + b + ".x.>"} }},
		{"otherbucket", func(string) []string { return []string{"$KV.b37other.>"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket := "b37" + tt.name
			if _, err := js.CreateStream(ctx, kvStream(bucket, func(sc *jetstream.StreamConfig) {
				sc.Subjects = tt.subjects(bucket)
			})); err != nil {
				t.Fatal(err)
			}
			// Whoever can create streams captures the claims elsewhere.
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
				Name: "thief" + tt.name, Subjects: []string{"$KV." + bucket + ".*"},
				Retention: jetstream.InterestPolicy, Storage: jetstream.FileStorage, AllowMsgTTL: true,
			}); err != nil {
				t.Fatal(err)
			}
			rc, err := natsreplay.New(ctx, js, natsreplay.WithBucket(bucket))
			if !errors.Is(err, natsreplay.ErrConfig) {
				t.Errorf("New on a bucket stream with subjects %q: %v, want ErrConfig", tt.subjects(bucket), err)
			}
			if rc == nil {
				return
			}
			until := time.Now().Add(time.Hour)
			first, second := rc.Claim(ctx, "tok", until), rc.Claim(ctx, "tok", until)
			t.Logf("claims of one token on the accepted bucket: %v, then %v", first, second)
		})
	}
	// A bucket stream that owns its keys' subjects (no other stream can
	// overlap them) is accepted, other subjects besides.
	if _, err := js.CreateStream(ctx, kvStream("b37extra", func(sc *jetstream.StreamConfig) {
		sc.Subjects = append(sc.Subjects, "b37elsewhere.>")
	})); err != nil {
		t.Fatal(err)
	}
	rc, err := natsreplay.New(ctx, js, natsreplay.WithBucket("b37extra"))
	if err != nil {
		t.Fatalf("New on a bucket stream that owns its keys: %v", err)
	}
	until := time.Now().Add(time.Hour)
	if err := rc.Claim(ctx, "tok", until); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	if err := rc.Claim(ctx, "tok", until); !errors.Is(err, oidc.ErrReplayed) {
		t.Fatalf("second claim: %v, want oidc.ErrReplayed", err)
	}
}

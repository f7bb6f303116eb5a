package jsleader_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/internal/jsleader"
)

// A stream leader that never answers (hung, or none elected while some
// server still listens on the API subject) must not hold the caller forever
// when its context has no deadline: the request is bounded by the
// JetStream context's default timeout, as every jetstream API call is.
func TestReview7LastMsgBoundedWithoutDeadline(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Something listens on the API subject and never replies.
	sub, err := nc.SubscribeSync("silent.api.>")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	js, err := jetstream.NewWithAPIPrefix(nc, "silent.api", jetstream.WithDefaultTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := jsleader.LastMsg(context.Background(), js, "S", "s.>")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("LastMsg answered nil error without an answer")
		}
	case <-time.After(30 * time.Second): // a correctness deadline, not a performance bound
		t.Fatal("LastMsg without a deadline still waiting for a leader that never answers")
	}
}

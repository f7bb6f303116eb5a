package kvconf

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestReview16Check(t *testing.T) {
	good := jetstream.StreamConfig{Name: "KV_b", Subjects: []string{"$KV.b.>"}, Storage: jetstream.FileStorage, Replicas: 3, MaxMsgs: -1, MaxBytes: -1, DenyDelete: true}
	if err := Check(good, 3); err != nil {
		t.Fatalf("a bucket that keeps its values: %v", err)
	}
	full := good
	full.MaxBytes, full.Discard = 1<<20, jetstream.DiscardNew // a full bucket refuses writes: fails closed
	if err := Check(full, 1); err != nil {
		t.Fatalf("discard new with a limit: %v", err)
	}
	for name, edit := range map[string]func(*jetstream.StreamConfig){
		"interest":   func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy },
		"workqueue":  func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy },
		"discardold": func(c *jetstream.StreamConfig) { c.Discard, c.MaxMsgs = jetstream.DiscardOld, 10 },
		"maxage":     func(c *jetstream.StreamConfig) { c.MaxAge = time.Hour },
		"memory":     func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage },
		"replicas":   func(c *jetstream.StreamConfig) { c.Replicas = 1 },
	} {
		c := good
		edit(&c)
		if err := Check(c, 3); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := Check(jetstream.StreamConfig{Name: "KV_b", Subjects: []string{"$KV.b.>"}, Storage: jetstream.FileStorage, DenyDelete: true}, 1); err != nil {
		t.Errorf("replicas 0 means 1: %v", err)
	}
}

package kvconf

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestReview33KvconfCheck: settings of a bucket created by someone else
// that lose or replace values behind the bucket's writers' backs are
// refused: deletes through the stream API erase a value without the
// delete marker a KV delete leaves, async persistence loses acknowledged writes on a crash, a
// subject transform files a key's value under another subject (all keys
// onto one, each write evicting the others with history 1), and a source
// or a mirror fills the bucket from another stream's writers.
func TestReview33KvconfCheck(t *testing.T) {
	t.Parallel()
	good := jetstream.StreamConfig{Name: "KV_b", Subjects: []string{"$KV.b.>"}, Storage: jetstream.FileStorage, Replicas: 1, MaxMsgsPerSubject: 1, AllowRollup: true, DenyDelete: true}
	if err := Check(good, 1); err != nil {
		t.Fatalf("a bucket that keeps its values: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*jetstream.StreamConfig)
	}{
		{"deletes allowed", func(c *jetstream.StreamConfig) { c.DenyDelete = false }},
		{"async persistence", func(c *jetstream.StreamConfig) { c.PersistMode = jetstream.AsyncPersistMode }},
		{"subject transform", func(c *jetstream.StreamConfig) {
			c.SubjectTransform = &jetstream.SubjectTransformConfig{Source: "$KV.b.>", Destination: "$KV.b.all"}
		}},
		{"sources", func(c *jetstream.StreamConfig) {
			c.Sources = []*jetstream.StreamSource{{Name: "elsewhere"}}
		}},
		{"mirror", func(c *jetstream.StreamConfig) { c.Mirror = &jetstream.StreamSource{Name: "KV_origin"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := good
			tc.edit(&c)
			if err := Check(c, 1); err == nil {
				t.Errorf("accepted")
			}
		})
	}
}

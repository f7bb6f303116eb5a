package kvconf

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestReview37SubjectsCheck: a KV write is a publish to
// "$KV.<bucket>.<key>", stored by whichever stream captures it. A stream
// named KV_<bucket> with good settings but subjects that do not cover the
// whole key space passed Check while the bucket's writes went to another
// stream, unchecked (one with interest retention stores nothing: every
// create-only write succeeds).
func TestReview37SubjectsCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stream   string
		subjects []string
		ok       bool
	}{
		{"kv", "KV_b", []string{"$KV.b.>"}, true},
		{"wider", "KV_b", []string{"$KV.*.>"}, true},
		{"widest", "KV_b", []string{"$KV.>"}, true},
		{"extra", "KV_b", []string{"other.>", "$KV.b.>"}, true},
		{"none", "KV_b", nil, false},
		{"decoy", "KV_b", []string{"decoy.>"}, false},
		{"otherbucket", "KV_b", []string{"$KV.c.>"}, false},
		{"prefix", "KV_b", []string{"$KV.bb.>"}, false},
		{"onetoken", "KV_b", []string{"$KV.b.*"}, false},
		{"narrow", "KV_b", []string{"$KV.b.x.>"}, false},
		{"literal", "KV_b", []string{"$KV.b"}, false},
		{"notkv", "b", []string{"$KV.b.>"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := jetstream.StreamConfig{Name: tt.stream, Subjects: tt.subjects, Storage: jetstream.FileStorage, Replicas: 1, MaxMsgsPerSubject: 1, DenyDelete: true}
			if err := Check(c, 1); (err == nil) != tt.ok {
				t.Errorf("subjects %q: %v, want ok=%v", tt.subjects, err, tt.ok)
			}
		})
	}
}

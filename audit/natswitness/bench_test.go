package natswitness_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
)

// BenchmarkPublish measures one checkpoint published to the R3 stream of a
// loopback 3-node cluster, acknowledged: append one entry, sign a
// checkpoint, compute the proof, publish, wait for the PubAck.
func BenchmarkPublish(b *testing.B) {
	f := startFleet(b, 1)
	l := openLog(b, filepath.Join(b.TempDir(), "node-1.log"), 1, 0, 0)
	p := f.publisher(b, 1, l)
	appendEvents(b, l, 0, 1)
	publish(b, p) // warm up: the stream takes writes
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		appendEvents(b, l, i+1, i+2)
		if _, err := p.Publish(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishAndWitness measures one checkpoint end to end: as
// BenchmarkPublish, then until the witness (following the stream on its
// own connection, state in an R3 bucket) has verified and stored it.
func BenchmarkPublishAndWitness(b *testing.B) {
	f := startFleet(b, 1)
	l := openLog(b, filepath.Join(b.TempDir(), "node-1.log"), 1, 0, 0)
	p := f.publisher(b, 1, l)
	appendEvents(b, l, 0, 1)
	f.waitAccepted(b, originOf(1), publish(b, p))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		appendEvents(b, l, i+1, i+2)
		cp, err := p.Publish(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		waitSaved(b, f, cp)
	}
}

// waitSaved waits for the witness's store to hold cp, woken by each save.
func waitSaved(b *testing.B, f *fleet, cp audit.Checkpoint) {
	timeout := time.After(30 * time.Second)
	for f.store.latest(originOf(1)).Size != cp.Size {
		select {
		case <-f.store.note:
		case <-timeout:
			b.Fatalf("witness did not accept size %d", cp.Size)
		}
	}
}

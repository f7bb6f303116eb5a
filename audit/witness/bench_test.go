package witness_test

import (
	"testing"

	"github.com/ztci/ztci/audit/witness"
)

// BenchmarkAdd measures the witness deciding one honest checkpoint: parse,
// Ed25519 signature check, consistency proof check, in-memory state
// update. Submissions (one per 16 appended entries) are prepared before
// the timer starts.
func BenchmarkAdd(b *testing.B) {
	n := newNode(b, origin, key(1))
	subs := make([][]byte, b.N)
	for i := range subs {
		n.append(i*16, (i+1)*16)
		subs[i] = n.submit()
	}
	w, _ := newWitness(b, witness.NewMemoryStore())
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := w.Add(b.Context(), origin, subs[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSubmission measures decoding a submission with a 9-hash
// proof.
func BenchmarkParseSubmission(b *testing.B) {
	n := newNode(b, origin, key(1))
	n.append(0, 300)
	n.submit()
	n.append(300, 301)
	body := n.submit()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := witness.ParseSubmission(body); err != nil {
			b.Fatal(err)
		}
	}
}

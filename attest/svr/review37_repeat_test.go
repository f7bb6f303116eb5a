package svr

import (
	"fmt"
	"math/bits"
	"strings"
	"testing"
)

// TestReview37RepeatCheckNotQuadratic: Validate looked for a repeated
// property by comparing each with every earlier one, so a predicate of
// MaxSize bytes of short distinct properties (about 100 000 of them, within
// the element budget of the strict reader) cost ParsePredicate some 5·10⁹
// string comparisons: half a minute of CPU for one read. The check now
// sorts, and its comparisons are counted here against n·log₂n.
func TestReview37RepeatCheckNotQuadratic(t *testing.T) {
	t.Parallel()
	for _, n := range []int{33, 1000, 100_000} {
		ss := make([]string, n)
		for i := range ss {
			ss[i] = fmt.Sprintf("%08x", (i*7919)%n) // distinct, unsorted
		}
		calls := 0
		got := firstRepeatFunc(ss, func(a, b string) int { calls++; return strings.Compare(a, b) })
		if got != -1 {
			t.Fatalf("n=%d: repeat at %d in distinct strings", n, got)
		}
		if limit := 4 * n * bits.Len(uint(n)); calls > limit {
			t.Fatalf("n=%d: %d comparisons, want at most %d", n, calls, limit)
		}
	}
}

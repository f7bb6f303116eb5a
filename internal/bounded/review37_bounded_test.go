package bounded

import (
	"io"
	"math"
	"strings"
	"testing"
)

// TestReview37BoundedNoLimit: a limit of math.MaxInt64 (a caller's "no
// limit") reads the whole answer: the room it computed, limit+1,
// overflowed to a negative length and the read panicked.
func TestReview37BoundedNoLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		limit int64
	}{
		{"max", math.MaxInt64},
		{"max-1", math.MaxInt64 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := io.ReadAll(Body(io.NopCloser(strings.NewReader("answer")), tc.limit, errTooLarge))
			if err != nil || string(got) != "answer" {
				t.Fatalf("ReadAll = %q, %v; want the answer", got, err)
			}
		})
	}
}

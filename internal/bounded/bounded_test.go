package bounded

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestBody(t *testing.T) {
	t.Parallel()
	tooLarge := errors.New("too large")
	for _, c := range []struct {
		in   string
		want error
	}{{"", nil}, {"12345", nil}, {"123456", tooLarge}, {strings.Repeat("x", 1<<16), tooLarge}} {
		b, err := io.ReadAll(Body(io.NopCloser(strings.NewReader(c.in)), 5, tooLarge))
		if !errors.Is(err, c.want) || (c.want == nil && string(b) != c.in) || len(b) > 5 {
			t.Errorf("%d bytes: read %q, %v; want %v", len(c.in), b, err, c.want)
		}
	}
}

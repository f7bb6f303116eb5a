package oci

import (
	"errors"
	"testing"
)

// A document followed by anything but white space is refused, including a
// closing '}' or ']' (which a json.Decoder's More check let through).
func TestTrailingDataRefused(t *testing.T) {
	for _, tail := range []string{"}", "]", " {}", "x", ","} {
		if _, err := ParseIndex([]byte(indexSeeds[0]+tail), 8); !errors.Is(err, ErrMalformed) {
			t.Errorf("index + %q: %v, want ErrMalformed", tail, err)
		}
		if _, err := ParseArtifact([]byte(manifestSeeds[0] + tail)); !errors.Is(err, ErrMalformed) {
			t.Errorf("manifest + %q: %v, want ErrMalformed", tail, err)
		}
	}
	if _, err := ParseIndex([]byte(indexSeeds[0]+" \n\t"), 8); err != nil {
		t.Errorf("index + white space: %v", err)
	}
}

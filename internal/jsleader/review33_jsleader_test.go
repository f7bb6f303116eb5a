package jsleader_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/jsleader"
)

// TestReview33JsleaderErrorText: the description of a JetStream error
// answer is text whoever answers the request chose (any subscriber on
// the API subject can): it reaches the error quoted and clipped, so it
// can neither forge a log line nor grow the error without bound.
func TestReview33JsleaderErrorText(t *testing.T) {
	t.Parallel()
	desc := "stream not found\nlevel=INFO msg=\"lease granted\" " + strings.Repeat("x", 1<<16) + "\u202e"
	answer, err := json.Marshal(map[string]any{"error": map[string]any{"code": 500, "err_code": 10999, "description": desc}})
	if err != nil {
		t.Fatal(err)
	}
	_, found, err := jsleader.Decode(answer)
	if err == nil || found {
		t.Fatalf("Decode = found %v, err %v; want an error", found, err)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\u202e") || len(msg) > 512 {
		t.Errorf("error of %d bytes holds the answer's text as sent: %.80q", len(msg), msg)
	}
}

package oci

import (
	"slices"
	"testing"
)

// TestReview35ErrCodesParsed: a distribution error body's codes are kept
// for matching (well-formed ones only, bounded), never printed.
func TestReview35ErrCodesParsed(t *testing.T) {
	t.Parallel()
	many := `{"errors":[` + `{"code":"A"},{"code":"B"},{"code":"C"},{"code":"D"},{"code":"E"},{"code":"F"},{"code":"G"},{"code":"H"},{"code":"I"}` + `]}`
	tests := []struct {
		name string
		body string
		want []string
	}{
		{name: "manifest blob unknown", body: `{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown","detail":"sha256:ab"}]}`, want: []string{CodeManifestBlobUnknown}},
		{name: "not json", body: `<html>nope</html>`},
		{name: "malformed codes dropped", body: `{"errors":[{"code":"digest invalid\n"},{"code":""},{"code":"DIGEST_INVALID"}]}`, want: []string{CodeDigestInvalid}},
		{name: "bounded", body: many, want: []string{"A", "B", "C", "D", "E", "F", "G", "H"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := errorCodes([]byte(tt.body))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("codes = %q, want %q", got, tt.want)
			}
			e := &StatusError{Op: "put", URL: "http://r/v2/x", StatusCode: 400, Codes: got}
			for _, c := range tt.want {
				if !e.HasCode(c) {
					t.Errorf("HasCode(%q) = false", c)
				}
			}
			if e.HasCode(CodeBlobUnknown) {
				t.Errorf("HasCode(BLOB_UNKNOWN) = true")
			}
			if e.Error() != "oci: put http://r/v2/x: HTTP 400" {
				t.Errorf("Error() = %q: codes must not be printed", e.Error())
			}
		})
	}
}

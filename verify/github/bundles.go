package github

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/verify"
)

// Bounds of ParseBundles.
const (
	// MaxAttestations is the most bundles ParseBundles returns: gh's
	// --limit allows at most 1000.
	MaxAttestations = 1000
	// MaxInputBytes bounds what ParseBundles reads.
	MaxInputBytes = 64 << 20
)

// ParseBundles reads the attestations of one artifact in any of the three
// forms GitHub tooling writes them, and returns each Sigstore bundle's JSON
// for Verify (nothing is verified here):
//
//   - one bundle document (a .sigstore.json file, possibly indented);
//   - JSON Lines, one bundle per line, as `gh attestation download` writes
//     them (cli/cli pkg/cmd/attestation/download/metadata.go);
//   - the attestations API response, {"attestations":[{"bundle":{…},…}]}
//     (GET /repos/{owner}/{repo}/attestations/{digest}). An entry whose
//     bundle is not inline (only a bundle_url) is refused: fetching it is
//     the caller's job.
//
// Input larger than MaxInputBytes, more than MaxAttestations bundles, a line
// that is not one JSON object, a wrapper whose member names repeat or differ
// only in case (see internal/strictjson), and an input holding no bundle
// (empty, or an empty or null attestations list) are refused with errors
// matching verify.ErrMalformedBundle.
func ParseBundles(r io.Reader) ([][]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, malformed("read attestations: %v", clip.Error(err, maxReason))
	}
	if len(data) > MaxInputBytes {
		return nil, malformed("attestations input larger than %d bytes", MaxInputBytes)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, malformed("no attestation in input")
	}
	if json.Valid(trimmed) {
		bs, err := document(trimmed, 0)
		if err != nil {
			return nil, err
		}
		return nonEmpty(bs)
	}
	var out [][]byte
	i := -1
	// One line at a time: bytes.Split would make a slice of every line
	// first, 24 bytes for each byte of "\n".
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		i++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, malformed("line %d is not one JSON document", i+1)
		}
		bs, err := document(line, i+1)
		if err != nil {
			return nil, err
		}
		if len(out)+len(bs) > MaxAttestations {
			return nil, malformed("more than %d attestations", MaxAttestations)
		}
		out = append(out, bs...)
	}
	return nonEmpty(out)
}

// nonEmpty refuses a parse that found no bundle: an API response with an
// empty or null attestations list says nothing is attested, which is not a
// list of attestations to verify.
func nonEmpty(bundles [][]byte) ([][]byte, error) {
	if len(bundles) == 0 {
		return nil, malformed("no attestation in input")
	}
	return bundles, nil
}

// document returns the bundles of one valid JSON document: itself when it
// is a bundle, the inline bundles when it is an API response. line is its
// line number (0 for a whole-input document), for errors.
func document(doc []byte, line int) ([][]byte, error) {
	where := "input"
	if line > 0 {
		where = fmt.Sprintf("line %d", line)
	}
	if doc[0] != '{' {
		return nil, malformed("%s: not a JSON object", where)
	}
	if err := strictjson.Check(doc, "attestations", "bundle", "mediaType"); err != nil {
		return nil, malformed("%s: %v", where, clip.Error(err, maxReason))
	}
	var probe struct {
		MediaType    json.RawMessage `json:"mediaType"`
		Attestations json.RawMessage `json:"attestations"`
	}
	if err := json.Unmarshal(doc, &probe); err != nil {
		return nil, malformed("%s: %v", where, clip.Error(err, maxReason))
	}
	if probe.Attestations == nil {
		return [][]byte{bytes.Clone(doc)}, nil // a bundle; Verify judges it
	}
	if probe.MediaType != nil {
		return nil, malformed("%s: both a bundle (mediaType) and an attestations list", where)
	}
	// The list is read one entry at a time, and no further than
	// MaxAttestations: decoded whole into a slice, `[0,0,…]` of
	// MaxInputBytes cost encoding/json eighty times its size before its
	// length could be checked.
	dec := json.NewDecoder(bytes.NewReader(probe.Attestations))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed("%s: attestations: %v", where, clip.Error(err, maxReason))
	}
	if tok == nil { // null: no attestation; nonEmpty refuses it
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, malformed("%s: attestations is not a list", where)
	}
	var out [][]byte
	for i := 0; dec.More(); i++ {
		if i == MaxAttestations {
			return nil, malformed("%s: more than %d attestations", where, MaxAttestations)
		}
		var entry struct {
			Bundle json.RawMessage `json:"bundle"`
		}
		if err := dec.Decode(&entry); err != nil {
			return nil, malformed("%s: attestation %d: %v", where, i, clip.Error(err, maxReason))
		}
		if b := bytes.TrimSpace(entry.Bundle); len(b) == 0 || b[0] != '{' {
			return nil, malformed("%s: attestation %d has no inline bundle (fetch its bundle_url first)", where, i)
		}
		out = append(out, entry.Bundle)
	}
	return out, nil
}

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: github: "+format, append([]any{verify.ErrMalformedBundle}, a...)...)
}

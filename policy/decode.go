package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxInputBytes bounds the JSON document [DecodeInput] reads.
const MaxInputBytes = 8 << 20

// DecodeInput reads one JSON [Input] document from r, for callers that
// receive decision requests over the wire. It is strict: the document must
// be a single JSON object of at most [MaxInputBytes], with no unknown
// fields, no duplicate keys and nothing after it. Errors wrap
// [ErrInvalidInput].
func DecodeInput(r io.Reader) (Input, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return Input{}, fmt.Errorf("%w: read: %w", ErrInvalidInput, err)
	}
	if len(raw) > MaxInputBytes {
		return Input{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalidInput, MaxInputBytes)
	}
	if err := checkJSON(raw); err != nil {
		return Input{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	d.DisallowUnknownFields()
	var in Input
	if err := d.Decode(&in); err != nil {
		return Input{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return in, nil
}

// checkJSON walks raw once: a single top-level object, no duplicate keys
// in any object (encoding/json would silently keep the last one, so two
// readers of the same document could disagree), nothing trailing.
func checkJSON(raw []byte) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("input is not a JSON object (starts with %v)", tok)
	}
	if err := checkObject(d, 1); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the input object")
	}
	return nil
}

const maxDepth = 128

// checkObject consumes an object's members after its '{'.
func checkObject(d *json.Decoder, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested deeper than %d", maxDepth)
	}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		if seen[k] {
			return fmt.Errorf("duplicate key %q", k)
		}
		seen[k] = true
		if err := checkValue(d, depth); err != nil {
			return err
		}
	}
	_, err := d.Token() // '}'
	return err
}

func checkValue(d *json.Decoder, depth int) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(d, depth+1)
	case json.Delim('['):
		if depth+1 > maxDepth {
			return fmt.Errorf("nested deeper than %d", maxDepth)
		}
		for d.More() {
			if err := checkValue(d, depth+1); err != nil {
				return err
			}
		}
		_, err := d.Token() // ']'
		return err
	}
	return nil
}

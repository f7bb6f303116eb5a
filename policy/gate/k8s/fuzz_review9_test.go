package k8s

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// review9FirstUID reads request.uid as a strict reader does, with
// encoding/json's tokenizer: exact member names, the first of a repeated
// one; ok only when the value is a string.
func review9FirstUID(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var find func(path []string) (string, bool)
	// skip consumes one value whose first token is tok.
	var skip func(tok json.Token) bool
	skip = func(tok json.Token) bool {
		d, ok := tok.(json.Delim)
		if !ok || (d != '{' && d != '[') {
			return true
		}
		for dec.More() {
			if d == '{' {
				if _, err := dec.Token(); err != nil {
					return false
				}
			}
			t, err := dec.Token()
			if err != nil || !skip(t) {
				return false
			}
		}
		_, err := dec.Token()
		return err == nil
	}
	find = func(path []string) (string, bool) {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if len(path) == 0 {
			s, ok := tok.(string)
			return s, ok
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return "", false
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return "", false
			}
			if k == path[0] {
				return find(path[1:])
			}
			v, err := dec.Token()
			if err != nil || !skip(v) {
				return "", false
			}
		}
		return "", false
	}
	return find([]string{"request", "uid"})
}

// FuzzReview9ReadableUID checks readableUID, which picks the uid a
// malformed review's audited deny echoes (new today), and replyVersion,
// the version it is written in. Properties: neither panics; replyVersion
// is v1 or v1beta1; a uid readableUID reads comes from valid UTF-8 JSON,
// is non-empty, at most maxUID bytes, and is the first request.uid string
// a strict reader finds; when DecodeReview accepts the body, readableUID
// reads the uid the decoded review has.
func FuzzReview9ReadableUID(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{}}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"a","UID":"b","extra":1}}`,
		`{"request":{"uid":"first"},"request":{"uid":"second"}}`,
		`{"request":{"uid":"a","uid":"b"}}`,
		`{"request":{"\u0075id":"escaped"}}`,
		`{"request":{"uid":5}}`,
		`{"request":{"uid":""}}`,
		"{\"request\":{\"uid\":\"\xff\"}}",
		`{"request":{"uid":"\ud800"}}`,
		`{"request":{"object":{"request":{"uid":"inner"}},"uid":"outer"}}`,
		`{"request":[{"uid":"x"}]}`,
		`{"request":{"uid":"x"}} trailing`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if v := replyVersion(body); v != ReviewAPIVersion && v != reviewV1beta1 {
			t.Fatalf("deny written as %q", v)
		}
		uid, ok := readableUID(body)
		if ok {
			if !utf8.Valid(body) || !json.Valid(body) {
				t.Fatalf("uid %q read from a body that is not UTF-8 JSON", uid)
			}
			if uid == "" || len(uid) > maxUID {
				t.Fatalf("uid of %d bytes", len(uid))
			}
			if want, wok := review9FirstUID(body); !wok || string(uid) != want {
				t.Fatalf("readableUID = %q, a strict reader finds %q (%v) in %q", uid, want, wok, body)
			}
		}
		review, err := DecodeReview(body)
		if err != nil {
			return
		}
		if want := review.Request.UID; want != "" && len(want) <= maxUID && (!ok || uid != want) {
			t.Fatalf("DecodeReview reads uid %q, readableUID %q, %v", want, uid, ok)
		}
	})
}

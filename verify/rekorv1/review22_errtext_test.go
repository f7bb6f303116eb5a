package rekorv1_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify/blob"
	"github.com/ztci/ztci/verify/rekorv1"
)

// review22MaxErr bounds the error text a log's answer may cause: the log is
// not trusted, and FindEntry's errors reach logs and audit events (they
// match verify.ErrTlog, which callers log as any verification failure).
const review22MaxErr = 1024

// review22Marker stands for text the log chose; it must never come back
// raw, and the escape before it must never come back at all.
const review22Marker = "level=INFO msg=verified"

func review22CheckText(t *testing.T, err error, want error) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted")
	}
	if !errors.Is(err, want) || !errors.Is(err, rekorv1.ErrLookup) {
		t.Errorf("error %.200q does not match %v", err, want)
	}
	msg := err.Error()
	if len(msg) > review22MaxErr {
		t.Errorf("error is %d bytes, want at most %d: %.200q...", len(msg), review22MaxErr, msg)
	}
	if strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Errorf("error carries control characters: %.300q", msg)
	}
	if strings.Contains(msg, "\n"+review22Marker) {
		t.Errorf("error forges a log line: %.300q", msg)
	}
}

// rawServer answers every connection with resp, written as is: what a
// hostile log (or whatever answers at its address) can send that
// net/http's server would not.
func rawServer(t *testing.T, resp string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				if _, err := http.ReadRequest(r); err != nil {
					return
				}
				_, _ = c.Write([]byte(resp))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestReview22StatusLineWithheld: the reason phrase of the log's status line
// is the log's text, up to megabytes and with terminal escapes; the error
// names the status code alone.
func TestReview22StatusLineWithheld(t *testing.T) {
	t.Parallel()
	for name, reason := range map[string]string{
		"escape": "Unavailable \x1b[2J\x1b]0;owned\x07 " + review22Marker,
		"long":   strings.Repeat("A", 256<<10),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u := rawServer(t, "HTTP/1.1 503 "+reason+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			c, err := rekorv1.New(u)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.FindEntry(t.Context(), &blob.Detached{Signature: []byte("sig")}, blob.Bytes([]byte("artifact")))
			review22CheckText(t, err, rekorv1.ErrUnavailable)
		})
	}
}

// TestReview22AnswerTextClipped: a UUID the search lists and the key of an
// entry answer are the log's text; refused, they are named clipped, not in
// full.
func TestReview22AnswerTextClipped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("f", 512<<10)
	esc := "\x1b[2J\n" + review22Marker
	uuid, answer := entryAnswer([]byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`))
	var entry map[string]json.RawMessage
	if err := json.Unmarshal(answer, &entry); err != nil {
		t.Fatal(err)
	}
	keyed := func(key string) []byte {
		b, _ := json.Marshal(map[string]json.RawMessage{key: entry[uuid]})
		return b
	}
	for name, tc := range map[string]struct {
		uuids []string
		entry []byte
	}{
		"long UUID":           {uuids: []string{long}},
		"escape UUID":         {uuids: []string{esc}},
		"answer key long":     {uuids: []string{uuid}, entry: keyed(long)},
		"answer key escape":   {uuids: []string{uuid}, entry: keyed(esc)},
		"answer key repeated": {uuids: []string{uuid}, entry: fmt.Appendf(nil, `{%q:%s,%q:%s}`, long, entry[uuid], long+"x", entry[uuid])},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &hostile{
				search: func(w http.ResponseWriter) { writeJSON(w, tc.uuids) },
				entry:  func(w http.ResponseWriter, _ string) { _, _ = w.Write(tc.entry) },
			}
			_, err := h.start(t).FindEntry(t.Context(), &blob.Detached{Signature: []byte("sig")}, blob.Bytes([]byte("artifact")))
			review22CheckText(t, err, rekorv1.ErrResponse)
		})
	}
}

// TestReview22RedirectTargetClipped: a redirect's Location is the log's
// text; net/http's error repeats the whole URL, and the refusal names its
// host.
func TestReview22RedirectTargetClipped(t *testing.T) {
	t.Parallel()
	host := strings.Repeat("a", 200<<10) + ".example"
	u := rawServer(t, "HTTP/1.1 302 Found\r\nLocation: https://"+host+"/x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	c, err := rekorv1.New(u)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.FindEntry(t.Context(), &blob.Detached{Signature: []byte("sig")}, blob.Bytes([]byte("artifact")))
	review22CheckText(t, err, rekorv1.ErrUnavailable)
}

package workload_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/protobuf/proto"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestReview38HeadersOversizedRequestHeadersAreRefused sends, as a raw
// HTTP/2 client that ignores the server's advertised limits would, a
// FetchJWTSVID whose header list is 1 MiB: far beyond anything a Workload
// API client sends. gRPC's server default (16 MiB per header list, held
// for the life of the stream) let any process that reaches the socket make
// the server hold that much per stream, attested or not; the server must
// refuse it (reset the stream, or the connection) instead of answering
// it. A header list within [wl.MaxRequestHeaderSize] is answered.
func TestReview38HeadersOversizedRequestHeadersAreRefused(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "wl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s.sock")
	l, err := wl.Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/x")))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(t.Context(), l) }()
	defer func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	for _, tc := range []struct {
		name     string
		pad      int
		answered bool
	}{
		{name: "small", pad: 1 << 10, answered: true},
		{name: "oversized", pad: 1 << 20, answered: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answered, err := rawFetchJWTSVID(path, tc.pad)
			if answered != tc.answered {
				t.Fatalf("answered = %v (%v) with a %d-byte header, want %v", answered, err, tc.pad, tc.answered)
			}
		})
	}
}

// errNoAnswer: the server reset stream 1 or ended the connection
// without answering it.
var errNoAnswer = errors.New("the server did not answer the stream")

// rawFetchJWTSVID calls FetchJWTSVID over a raw HTTP/2 connection with an
// extra header of pad bytes, split into frames of the default size, and
// reports whether the server answered it (response headers on the stream);
// if not, the error says why (the stream or the connection refused).
func rawFetchJWTSVID(path string, pad int) (bool, error) {
	c, err := net.Dial("unix", path)
	if err != nil {
		return false, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		return false, err
	}
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(); err != nil {
		return false, err
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"},
		{Name: ":scheme", Value: "http"},
		{Name: ":path", Value: workload.SpiffeWorkloadAPI_FetchJWTSVID_FullMethodName},
		{Name: ":authority", Value: "localhost"},
		{Name: "content-type", Value: "application/grpc"},
		{Name: "te", Value: "trailers"},
		{Name: "workload.spiffe.io", Value: "true"},
		{Name: "x-pad", Value: strings.Repeat("a", pad)},
	} {
		if err := enc.WriteField(f); err != nil {
			return false, err
		}
	}
	block := hb.Bytes()
	const frame = 16 << 10
	first := block[:min(frame, len(block))]
	block = block[len(first):]
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: first, EndHeaders: len(block) == 0}); err != nil {
		return false, err
	}
	for len(block) > 0 {
		n := min(frame, len(block))
		if err := fr.WriteContinuation(1, n == len(block), block[:n]); err != nil {
			return false, err
		}
		block = block[n:]
	}
	msg, err := proto.Marshal(&workload.JWTSVIDRequest{Audience: []string{"a"}})
	if err != nil {
		return false, err
	}
	data := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg)))
	if err := fr.WriteData(1, true, append(data, msg...)); err != nil {
		return false, err
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return false, errors.Join(errNoAnswer, err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := fr.WriteSettingsAck(); err != nil {
					return false, err
				}
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == 1 {
				return false, errNoAnswer
			}
		case *http2.HeadersFrame:
			if f.StreamID == 1 {
				return true, nil
			}
		case *http2.GoAwayFrame:
			return false, errNoAnswer
		}
	}
}

package workload_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestReview38IdleStreamsHoldNoStreamSlot opens, as a raw HTTP/2 client,
// WithMaxStreams FetchX509SVID streams that never send their request
// message, then a well-formed stream. The server took a slot of the
// WithMaxStreams bound as soon as a stream's headers arrived, and gRPC's
// handler then waited for the request for as long as the caller liked:
// any local process, before it was attested (nothing of it had been read),
// could hold every slot and have every job's streams refused
// (ResourceExhausted). A slot is now taken once the request has arrived.
func TestReview38IdleStreamsHoldNoStreamSlot(t *testing.T) {
	t.Parallel()
	const limit = 2
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
	srv, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/x")), wl.WithMaxStreams(limit))
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

	idle, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(idle, idle)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for n := range limit {
		if err := writeIdleStream(fr, uint32(2*n+1)); err != nil {
			t.Fatal(err)
		}
	}
	// The server reads a connection's frames in order: once it answers the
	// ping, it has opened both idle streams.
	if err := fr.WritePing(false, [8]byte{1}); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := f.(*http2.PingFrame); ok && p.IsAck() {
			break
		}
		if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
			if err := fr.WriteSettingsAck(); err != nil {
				t.Fatal(err)
			}
		}
	}

	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "workload.spiffe.io", "true")
	stream, err := workload.NewSpiffeWorkloadAPIClient(conn).FetchX509SVID(ctx, &workload.X509SVIDRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("a job's stream while %d idle streams are open: %v", limit, err)
	}
}

// writeIdleStream opens stream id for FetchX509SVID with well-formed
// headers and no DATA, no END_STREAM: the request message never comes.
func writeIdleStream(fr *http2.Framer, id uint32) error {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"},
		{Name: ":scheme", Value: "http"},
		{Name: ":path", Value: workload.SpiffeWorkloadAPI_FetchX509SVID_FullMethodName},
		{Name: ":authority", Value: "localhost"},
		{Name: "content-type", Value: "application/grpc"},
		{Name: "te", Value: "trailers"},
		{Name: "workload.spiffe.io", Value: "true"},
	} {
		if err := enc.WriteField(f); err != nil {
			return err
		}
	}
	return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true})
}

// TestReview38StreamsPerConnBounded opens [wl.MaxStreamsPerConn] idle
// streams on one connection and then one more: gRPC's server default
// (no bound) let one connection open streams without end, each a
// goroutine and buffers waiting for a request that never comes, before
// any bound of the server's applied. The one beyond is refused
// (RST_STREAM) before the server answers the ping that follows it.
func TestReview38StreamsPerConnBounded(t *testing.T) {
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
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	last := uint32(2*wl.MaxStreamsPerConn + 1)
	for id := uint32(1); id <= last; id += 2 {
		if err := writeIdleStream(fr, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := fr.WritePing(false, [8]byte{1}); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.StreamID != last {
				t.Fatalf("stream %d reset (%v), within the bound", f.StreamID, f.ErrCode)
			}
			return
		case *http2.PingFrame:
			if f.IsAck() {
				t.Fatalf("stream %d, beyond %d on one connection, was not refused", last, wl.MaxStreamsPerConn)
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := fr.WriteSettingsAck(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

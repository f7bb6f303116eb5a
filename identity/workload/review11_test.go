package workload_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// review11Client serves srv on a fresh socket and returns a raw Workload
// API client and a context carrying the security header.
func review11Client(t *testing.T, srv *wl.Server) (workload.SpiffeWorkloadAPIClient, context.Context) {
	t.Helper()
	dir, err := os.MkdirTemp("", "wl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	l, err := wl.Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return workload.NewSpiffeWorkloadAPIClient(conn), metadata.AppendToOutgoingContext(t.Context(), "workload.spiffe.io", "true")
}

// TestReview11X509StreamReattestsBeforeReissue: the attestor's answer at
// stream open is not an entitlement for the stream's lifetime. A caller
// the attestor stops admitting (its job ended), or now maps to another ID,
// used to keep receiving a fresh X.509-SVID and private key for the old ID
// every half-life on the stream it already had open; now the stream ends
// with PermissionDenied before anything more is minted.
func TestReview11X509StreamReattestsBeforeReissue(t *testing.T) {
	t.Parallel()
	jobA := spiffeid.RequireFromPath(td, "/job/a")
	jobB := spiffeid.RequireFromPath(td, "/job/b")
	for name, revoke := range map[string]func(*atomic.Pointer[spiffeid.ID]){
		"refused":    func(p *atomic.Pointer[spiffeid.ID]) { p.Store(nil) },
		"another ID": func(p *atomic.Pointer[spiffeid.ID]) { p.Store(&jobB) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A 2s SVID: the stream re-issues after about a second.
			iss, err := svid.NewIssuer(td, svid.WithX509TTL(2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			var entitled atomic.Pointer[spiffeid.ID]
			entitled.Store(&jobA)
			srv, err := wl.NewServer(iss, wl.AttestorFunc(func(context.Context, wl.Caller) (spiffeid.ID, error) {
				if id := entitled.Load(); id != nil {
					return *id, nil
				}
				return spiffeid.ID{}, wl.ErrNotAttested
			}))
			if err != nil {
				t.Fatal(err)
			}
			client, ctx := review11Client(t, srv)
			stream, err := client.FetchX509SVID(ctx, &workload.X509SVIDRequest{})
			if err != nil {
				t.Fatal(err)
			}
			first, err := stream.Recv()
			if err != nil || first.GetSvids()[0].GetSpiffeId() != jobA.String() {
				t.Fatalf("first response: %v, %v", first, err)
			}
			revoke(&entitled)
			next, err := stream.Recv()
			if status.Code(err) != codes.PermissionDenied {
				var got string
				if next != nil && len(next.GetSvids()) > 0 {
					got = next.GetSvids()[0].GetSpiffeId() + " with a private key of " + strconv.Itoa(len(next.GetSvids()[0].GetX509SvidKey())) + " bytes"
				}
				t.Fatalf("after the attestor stopped admitting the caller as %s: Recv = %q, %v; want PermissionDenied", jobA, got, err)
			}
		})
	}
}

// review11Key is a fresh P-256 key.
func review11Key(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestReview11OversizedRequestsRefused: a caller chose the size of its
// FetchJWTSVID audiences freely. The server read requests of up to gRPC's
// 4 MiB, and the issuer signed, audited and returned a token of any size,
// one ParseAndValidateJWT then refuses (over MaxJWTSize). Now a request
// over MaxRequestSize is refused unread (ResourceExhausted), and audiences
// that would make the token too large are refused before signing
// (InvalidArgument), whether one long audience, many short ones, or
// characters JSON escapes into six bytes each.
func TestReview11OversizedRequestsRefused(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td, svid.WithMultipleAudiences()) // many audiences: the size bound, not the count
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/a")))
	if err != nil {
		t.Fatal(err)
	}
	client, ctx := review11Client(t, srv)
	many := make([]string, 3000)
	for i := range many {
		many[i] = "aud-" + strconv.Itoa(i)
	}
	for name, tc := range map[string]struct {
		aud  []string
		want codes.Code
	}{
		"control":              {[]string{"https://vault.example.com"}, codes.OK},
		"8 KiB audience":       {[]string{strings.Repeat("a", 8<<10)}, codes.OK},
		"20 KiB audience":      {[]string{strings.Repeat("a", 20<<10)}, codes.InvalidArgument},
		"3000 audiences":       {many, codes.InvalidArgument},
		"escaped to 6x":        {[]string{strings.Repeat("<", 4<<10)}, codes.InvalidArgument},
		"1 MiB request":        {[]string{strings.Repeat("a", 1<<20)}, codes.ResourceExhausted},
		"just over MaxRequest": {[]string{strings.Repeat("a", wl.MaxRequestSize)}, codes.ResourceExhausted},
	} {
		resp, err := client.FetchJWTSVID(ctx, &workload.JWTSVIDRequest{Audience: tc.aud})
		if status.Code(err) != tc.want {
			size := 0
			if resp != nil && len(resp.GetSvids()) > 0 {
				size = len(resp.GetSvids()[0].GetSvid())
			}
			t.Errorf("%s: FetchJWTSVID = %d-byte token, %v; want %v", name, size, err, tc.want)
			continue
		}
		if tc.want != codes.OK {
			continue
		}
		tok := resp.GetSvids()[0].GetSvid()
		if _, err := svid.ParseAndValidateJWT(tok, iss, tc.aud[:1]); err != nil {
			t.Errorf("%s: the issued %d-byte token does not verify: %v", name, len(tok), err)
		}
	}
}

// review11Store is a key store whose reads fail while fail is set.
type review11Store struct {
	oidc.KeyStore
	fail atomic.Bool
}

func (s *review11Store) Keys(ctx context.Context) ([]oidc.PublishedKey, error) {
	if s.fail.Load() {
		return nil, errors.New("key store down")
	}
	return s.KeyStore.Keys(ctx)
}

// TestReview11JWTBundleStreamStaleBound: when the fleet key store stops
// answering, a JWT bundle stream keeps the last bundle it sent, so other
// replicas' JWT-SVIDs keep verifying. It used to keep it for as long as the
// outage lasted: a replica key retired (or revoked after a theft) stayed
// trusted by every streaming client without end, long after its record
// lapsed from the store. Now the stream keeps it for
// FleetJWTBundleMaxAge after the store last answered, then sends this
// replica's own keys, and the fleet's again once the store answers.
func TestReview11JWTBundleStreamStaleBound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := &review11Store{KeyStore: oidc.NewMemoryKeyStore(nil)}
	self, err := svid.NewIssuer(td, svid.WithJWTKeyStore(store), svid.WithJWTSigner(review11Key(t), "self"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := svid.NewIssuer(td, svid.WithJWTKeyStore(store), svid.WithJWTSigner(review11Key(t), "other"))
	if err != nil {
		t.Fatal(err)
	}
	for _, iss := range []*svid.Issuer{self, other} {
		if err := iss.PublishJWTKey(ctx); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := wl.NewServer(self, wl.FixedID(spiffeid.RequireFromPath(td, "/job/a")), wl.WithBundleRefresh(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Now()
	wl.SetClock(srv, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	client, cctx := review11Client(t, srv)
	stream, err := client.FetchJWTBundles(cctx, &workload.JWTBundlesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []string, 8)
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				close(got)
				return
			}
			b, err := jwtbundle.Parse(td, resp.GetBundles()[td.IDString()])
			if err != nil {
				close(got)
				return
			}
			var kids []string
			for kid := range b.JWTAuthorities() {
				kids = append(kids, kid)
			}
			got <- kids
		}
	}()
	next := func(wait time.Duration) ([]string, bool) {
		select {
		case k, ok := <-got:
			return k, ok
		case <-time.After(wait):
			return nil, false
		}
	}
	if k, ok := next(10 * time.Second); !ok || len(k) != 2 {
		t.Fatalf("first bundle: kids %v, want self and other", k)
	}
	store.fail.Store(true)
	advance(self.FleetJWTBundleMaxAge() / 2)
	if k, ok := next(300 * time.Millisecond); ok {
		t.Fatalf("store down for half FleetJWTBundleMaxAge: bundle %v sent, want the last one kept", k)
	}
	advance(self.FleetJWTBundleMaxAge())
	if k, ok := next(10 * time.Second); !ok || len(k) != 1 || k[0] != "self" {
		t.Fatalf("store down past FleetJWTBundleMaxAge: kids %v (sent: %v), want only this replica's own key", k, ok)
	}
	store.fail.Store(false)
	if k, ok := next(10 * time.Second); !ok || len(k) != 2 {
		t.Fatalf("store back: kids %v, want self and other again", k)
	}
}

// TestReview11HeaderAndEntitlementHeld: checks that held in this round,
// pinned. Every RPC without exactly one security header "true" is refused
// with InvalidArgument before attestation; a JWT-SVID is refused for an ID
// other than the caller's (however it is spelled), for no audience and for
// an empty one.
func TestReview11HeaderAndEntitlementHeld(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	attested := 0
	var mu sync.Mutex
	srv, err := wl.NewServer(iss, wl.AttestorFunc(func(context.Context, wl.Caller) (spiffeid.ID, error) {
		mu.Lock()
		attested++
		mu.Unlock()
		return spiffeid.RequireFromPath(td, "/job/a"), nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	client, good := review11Client(t, srv)
	for name, md := range map[string][]string{
		"absent":  nil,
		"false":   {"workload.spiffe.io", "false"},
		"TRUE":    {"workload.spiffe.io", "TRUE"},
		"twice":   {"workload.spiffe.io", "true", "workload.spiffe.io", "true"},
		"empty":   {"workload.spiffe.io", ""},
		"spaced":  {"workload.spiffe.io", " true"},
		"bin key": {"workload.spiffe.io-bin", "true"},
	} {
		ctx := metadata.NewOutgoingContext(t.Context(), metadata.Pairs(md...))
		if _, err := client.FetchJWTSVID(ctx, &workload.JWTSVIDRequest{Audience: []string{"a"}}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("header %s: FetchJWTSVID = %v, want InvalidArgument", name, err)
		}
		stream, err := client.FetchX509SVID(ctx, &workload.X509SVIDRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("header %s: FetchX509SVID = %v, want InvalidArgument", name, err)
		}
	}
	mu.Lock()
	if attested != 0 {
		t.Errorf("attestor called %d times for requests without the header", attested)
	}
	mu.Unlock()
	for name, tc := range map[string]struct {
		req  *workload.JWTSVIDRequest
		want codes.Code
	}{
		"own ID":          {&workload.JWTSVIDRequest{Audience: []string{"a"}, SpiffeId: "spiffe://ci.test/job/a"}, codes.OK},
		"another ID":      {&workload.JWTSVIDRequest{Audience: []string{"a"}, SpiffeId: "spiffe://ci.test/job/b"}, codes.PermissionDenied},
		"own ID, upper":   {&workload.JWTSVIDRequest{Audience: []string{"a"}, SpiffeId: "SPIFFE://ci.test/job/a"}, codes.PermissionDenied},
		"own ID, slash":   {&workload.JWTSVIDRequest{Audience: []string{"a"}, SpiffeId: "spiffe://ci.test/job/a/"}, codes.PermissionDenied},
		"own ID, dotdot":  {&workload.JWTSVIDRequest{Audience: []string{"a"}, SpiffeId: "spiffe://ci.test/job/b/../a"}, codes.PermissionDenied},
		"no audience":     {&workload.JWTSVIDRequest{}, codes.InvalidArgument},
		"empty audience":  {&workload.JWTSVIDRequest{Audience: []string{"a", ""}}, codes.InvalidArgument},
		"trust domain ID": {&workload.JWTSVIDRequest{Audience: []string{"a"}, SpiffeId: "spiffe://ci.test"}, codes.PermissionDenied},
	} {
		resp, err := client.FetchJWTSVID(good, tc.req)
		if status.Code(err) != tc.want {
			t.Errorf("%s: FetchJWTSVID = %v, %v; want %v", name, resp, err, tc.want)
		}
	}
}

package oidc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ztci/ztci/audit"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// issuerServer serves iss over HTTP on 127.0.0.1 and counts JWKS fetches.
func issuerServer(t *testing.T, opts ...Option) (*Issuer, *atomic.Int32, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	iss, err := NewIssuer(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	h := iss.Handler()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == JWKSPath {
			fetches.Add(1)
		}
		h.ServeHTTP(w, r)
	})
	return iss, &fetches, srv
}

func TestRotationOverlapAndRefreshRateLimit(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: testNow}
	iss, fetches, srv := issuerServer(t, WithClock(clock.Now), WithTTL(10*time.Minute))
	v, err := NewVerifier(srv.URL, "aud", WithClock(clock.Now), WithRefreshInterval(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	old, err := iss.Mint(ctx, testJob, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, old.Reveal()); err != nil {
		t.Fatal(err)
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}

	// Rotation: the new key's tokens trigger one refresh; the old key's
	// tokens still verify from the refreshed set (overlap).
	if err := iss.Rotate(); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	fresh, err := iss.Mint(ctx, testJob, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, fresh.Reveal()); err != nil {
		t.Fatalf("token of rotated-in key: %v", err)
	}
	if _, err := v.Verify(ctx, old.Reveal()); err != nil {
		t.Fatalf("token of rotated-out key during overlap: %v", err)
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}

	// Unknown kids do not hammer the issuer: within the refresh interval,
	// no further fetch happens.
	ec, _, _ := testKeys(t)
	for _, kid := range []string{"nope-1", "nope-2", "nope-3"} {
		tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"`+kid+`"}`), mustJSON(t, goodClaims()))
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("unknown kid: err = %v", err)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("unknown kids caused %d fetches, want none beyond 2", n)
	}

	// After TTL + grace the retired key leaves the JWKS.
	clock.Add(11 * time.Minute)
	if got := strings.Count(string(iss.JWKS()), `"kid"`); got != 1 {
		t.Fatalf("JWKS has %d keys after overlap, want 1", got)
	}
}

func TestKeySetFetchFailuresFailClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{name: "discovery 404", handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }},
		{name: "discovery not JSON", handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{name: "discovery names another issuer", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"issuer":"https://evil.test","jwks_uri":"https://evil.test/jwks"}`))
		}},
		{name: "JWKS too large", handler: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(nil)
			defer srv.Close()
			h := tc.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == DiscoveryPath {
						w.Write([]byte(`{"issuer":"` + srv.URL + `","jwks_uri":"` + srv.URL + `/jwks"}`))
						return
					}
					w.Write([]byte(`{"keys":[` + strings.Repeat(" ", maxDocument) + `]}`))
				}
			}
			srv.Config.Handler = h
			v, err := NewVerifier(srv.URL, "aud")
			if err != nil {
				t.Fatal(err)
			}
			ec, _, _ := testKeys(t)
			tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, goodClaims()))
			if _, err := v.Verify(t.Context(), tok); !errors.Is(err, ErrKeySet) {
				t.Fatalf("err = %v, want ErrKeySet", err)
			}
		})
	}
}

// TestTokenNeverLeaks mints a token and checks it appears in no log line,
// audit event, error or formatted value, including rejections of it.
func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	var events []audit.Event
	var evMu sync.Mutex
	sink := audit.SinkFunc(func(_ context.Context, e audit.Event) error {
		evMu.Lock()
		defer evMu.Unlock()
		events = append(events, e)
		return nil
	})
	iss, _, srv := issuerServer(t, WithLogger(logger), WithAudit(sink))
	tok, err := iss.Mint(t.Context(), testJob, "aud")
	if err != nil {
		t.Fatal(err)
	}
	canary := tok.Reveal()
	v, err := NewVerifier(srv.URL, "other-aud", WithLogger(logger), WithAudit(sink))
	if err != nil {
		t.Fatal(err)
	}
	_, verr := v.Verify(t.Context(), canary)
	if verr == nil {
		t.Fatal("token for another audience accepted")
	}
	logger.Info("minted", "token", tok)
	formatted := []string{tok.String(), tok.GoString(), verr.Error(), logs.String(), sprintAll(tok)}
	js, _ := tok.MarshalJSON()
	formatted = append(formatted, string(js))
	for _, e := range events {
		b := mustJSON(t, e)
		formatted = append(formatted, string(b))
	}
	sig := canary[strings.LastIndexByte(canary, '.')+1:]
	for _, s := range formatted {
		if strings.Contains(s, canary) || strings.Contains(s, sig) {
			t.Fatalf("token leaked into %q", s)
		}
	}
	if len(events) != 2 || events[0].Action != "identity.token.mint" || events[1].Outcome != audit.OutcomeDeny {
		t.Fatalf("audit events = %+v, want a mint and a deny", events)
	}
}

func TestAuditFailureFailsMint(t *testing.T) {
	t.Parallel()
	boom := errors.New("sink down")
	iss, err := NewIssuer("https://ci.test", WithAudit(audit.SinkFunc(func(context.Context, audit.Event) error { return boom })))
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := iss.Mint(t.Context(), testJob, "aud"); !errors.Is(err, boom) || tok.Reveal() != "" {
		t.Fatalf("Mint with failing audit = %v, %v; want no token", tok, err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestStaleKeySetFailsClosed(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: testNow}
	fi := newFlakyIssuer(t, clock)
	v, err := NewVerifier(fi.srv.URL, "aud", WithClock(clock.Now), WithCacheTTL(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), fi.mint(t)); err != nil {
		t.Fatal(err)
	}
	fi.down.Store(true)         // the issuer goes away
	clock.Add(15 * time.Minute) // stale, within one extra TTL
	if _, err := v.Verify(t.Context(), fi.mint(t)); err != nil {
		t.Fatalf("stale key set within grace: %v", err)
	}
	clock.Add(10 * time.Minute) // beyond 2×TTL
	if _, err := v.Verify(t.Context(), fi.mint(t)); !errors.Is(err, ErrKeySet) {
		t.Fatalf("key set older than 2×TTL: err = %v, want ErrKeySet", err)
	}
}

// flakyIssuer is an issuer on a test server that answers 503 to everything
// while down is set, and counts the requests it gets.
type flakyIssuer struct {
	iss  *Issuer
	srv  *httptest.Server
	down atomic.Bool
	hits atomic.Int32
}

func newFlakyIssuer(t *testing.T, clock *fakeClock) *flakyIssuer {
	t.Helper()
	fi := &flakyIssuer{srv: httptest.NewServer(nil)}
	t.Cleanup(fi.srv.Close)
	var err error
	if fi.iss, err = NewIssuer(fi.srv.URL, WithClock(clock.Now)); err != nil {
		t.Fatal(err)
	}
	h := fi.iss.Handler()
	fi.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fi.hits.Add(1)
		if fi.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
	return fi
}

// mint returns a fresh token of fi's issuer for testJob and "aud".
func (fi *flakyIssuer) mint(t *testing.T) string {
	t.Helper()
	tk, err := fi.iss.Mint(t.Context(), testJob, "aud")
	if err != nil {
		t.Fatal(err)
	}
	return tk.Reveal()
}

// TestKeyFetchRedirectsStayInOrigin serves discovery and JWKS from a TLS
// issuer on 127.0.0.1 whose responses redirect to plain HTTP and to another
// origin holding an attacker's keys: the verifier must refuse with
// ErrRedirect and never fetch the attacker's keys, while a redirect within
// the origin is followed.
func TestKeyFetchRedirectsStayInOrigin(t *testing.T) {
	t.Parallel()
	ec, _, evil := testKeys(t)
	evilJWKS := mustJSON(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: evil.Public(), KeyID: "ec1", Algorithm: "ES256", Use: "sig"}}})
	goodJWKS := mustJSON(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "ec1", Algorithm: "ES256", Use: "sig"}}})
	var attackerHits atomic.Int32
	attacker := func(w http.ResponseWriter, r *http.Request) {
		attackerHits.Add(1)
		if r.URL.Path == DiscoveryPath {
			w.Write([]byte(`{"issuer":"x","jwks_uri":"x"}`))
			return
		}
		w.Write(evilJWKS)
	}
	plain := httptest.NewServer(http.HandlerFunc(attacker))
	defer plain.Close()
	otherTLS := httptest.NewTLSServer(http.HandlerFunc(attacker))
	defer otherTLS.Close()
	tests := []struct {
		name            string
		discovery, jwks string // redirect targets; "" serves the document
		wantErr         error
	}{
		{name: "JWKS to plain HTTP", jwks: plain.URL + "/jwks", wantErr: ErrRedirect},
		{name: "JWKS to another TLS origin", jwks: otherTLS.URL + "/jwks", wantErr: ErrRedirect},
		{name: "discovery to plain HTTP", discovery: plain.URL + DiscoveryPath, wantErr: ErrRedirect},
		{name: "discovery to another TLS origin", discovery: otherTLS.URL + DiscoveryPath, wantErr: ErrRedirect},
		{name: "JWKS within the origin", jwks: "/moved-jwks"},
		{name: "redirect loop within the origin", jwks: "/jwks", wantErr: ErrRedirect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == DiscoveryPath && tc.discovery != "":
					http.Redirect(w, r, tc.discovery, http.StatusFound)
				case r.URL.Path == DiscoveryPath:
					w.Write([]byte(`{"issuer":"` + srv.URL + `","jwks_uri":"` + srv.URL + `/jwks"}`))
				case r.URL.Path == "/jwks" && tc.jwks != "":
					http.Redirect(w, r, tc.jwks, http.StatusMovedPermanently)
				default:
					w.Write(goodJWKS)
				}
			}))
			defer srv.Close()
			v, err := NewVerifier(srv.URL, "vault", WithHTTPClient(srv.Client()), WithClock(func() time.Time { return testNow }))
			if err != nil {
				t.Fatal(err)
			}
			tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, with(goodClaims(), "iss", srv.URL)))
			_, err = v.Verify(t.Context(), tok)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tc.wantErr != nil && (!errors.Is(err, tc.wantErr) || !errors.Is(err, ErrKeySet)) {
				t.Fatalf("Verify = %v, want %v inside ErrKeySet", err, tc.wantErr)
			}
		})
	}
	if n := attackerHits.Load(); n != 0 {
		t.Fatalf("attacker origins were fetched %d times", n)
	}
}

func TestPlainHTTPIssuerOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	if _, err := NewVerifier("http://ci.example.com", "aud"); !errors.Is(err, ErrConfig) {
		t.Fatalf("remote plain-http issuer: %v, want ErrConfig", err)
	}
	if _, err := NewVerifier("http://127.0.0.1:8080", "aud"); err != nil {
		t.Fatalf("loopback plain-http issuer: %v", err)
	}
	if _, err := NewVerifier("http://ci.example.com", "aud", WithKeySet(testKeySet(t))); err != nil {
		t.Fatalf("pinned keys, plain-http issuer name: %v", err)
	}
	if err := checkJWKSURI("http://127.0.0.1:8080", "http://jwks.example.com/keys"); !errors.Is(err, ErrKeySet) {
		t.Fatalf("plain-http jwks_uri off loopback: %v, want ErrKeySet", err)
	}
}

// TestStaleKeySetDoesNotStormTheIssuer: once the cached key set is past its
// TTL and the issuer fails, the verifier keeps using the last good set (for
// one more TTL) without turning every verification into a fetch. Before,
// each Verify of a stale set fetched again (three attempts with backoff,
// serialized under the fetch lock), so anyone holding a well-formed token,
// signed or not, multiplied their request rate against the issuer by three
// and made every verification wait for the failing fetches.
func TestStaleKeySetDoesNotStormTheIssuer(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: testNow}
	fi := newFlakyIssuer(t, clock)
	down, hits := &fi.down, &fi.hits
	v, err := NewVerifier(fi.srv.URL, "aud", WithClock(clock.Now), WithCacheTTL(10*time.Minute), WithRefreshInterval(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tok := func() string { return fi.mint(t) }
	if _, err := v.Verify(t.Context(), tok()); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	clock.Add(15 * time.Minute) // stale, within one extra TTL
	hits.Store(0)
	ec, _, _ := testKeys(t)
	forged := signES256(t, ec, []byte(`{"alg":"ES256","kid":"nope"}`), mustJSON(t, goodClaims()))
	for range 20 {
		if _, err := v.Verify(t.Context(), tok()); err != nil {
			t.Fatalf("stale key set within grace: %v", err)
		}
		if _, err := v.Verify(t.Context(), forged); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := hits.Load(); n > 3 {
		t.Fatalf("40 verifications of a stale set made %d requests to the failing issuer, want one fetch (3 attempts)", n)
	}
	clock.Add(31 * time.Second) // the refresh interval has passed: one more fetch
	hits.Store(0)
	for range 5 {
		if _, err := v.Verify(t.Context(), tok()); err != nil {
			t.Fatalf("stale key set within grace: %v", err)
		}
	}
	if n := hits.Load(); n < 1 || n > 3 {
		t.Fatalf("after the refresh interval: %d requests, want one fetch", n)
	}
	down.Store(false) // the issuer is back: the next fetch after the interval succeeds
	clock.Add(31 * time.Second)
	if _, err := v.Verify(t.Context(), tok()); err != nil {
		t.Fatal(err)
	}
	hits.Store(0)
	for range 5 {
		if _, err := v.Verify(t.Context(), tok()); err != nil {
			t.Fatal(err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("fresh set: %d requests", n)
	}

	// Past 2×TTL without the issuer the verifier fails closed, and still
	// does not fetch on every call.
	down.Store(true)
	clock.Add(21 * time.Minute)
	hits.Store(0)
	for range 20 {
		if _, err := v.Verify(t.Context(), tok()); !errors.Is(err, ErrKeySet) {
			t.Fatalf("key set older than 2×TTL: err = %v, want ErrKeySet", err)
		}
	}
	if n := hits.Load(); n > 3 {
		t.Fatalf("20 verifications past 2×TTL made %d requests, want one fetch", n)
	}
}

// TestSlowIssuerDoesNotHoldVerifications: while one verification waits for
// a slow key fetch, the others neither wait past their own context nor, when
// the cached set is still usable (stale, within the extra TTL), wait at all.
func TestSlowIssuerDoesNotHoldVerifications(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: testNow}
	srv := httptest.NewServer(nil)
	defer srv.Close()
	iss, err := NewIssuer(srv.URL, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	var slow atomic.Bool
	release := make(chan struct{})
	h := iss.Handler()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		h.ServeHTTP(w, r)
	})
	v, err := NewVerifier(srv.URL, "aud", WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := iss.Mint(t.Context(), testJob, "aud")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), tk.Reveal()); err != nil {
		t.Fatal(err)
	}
	slow.Store(true)
	clock.Add(11 * time.Minute) // stale: the next verification fetches
	if tk, err = iss.Mint(t.Context(), testJob, "aud"); err != nil {
		t.Fatal(err)
	}
	fetching := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), tk.Reveal())
		fetching <- err
	}()
	// Wait until that verification holds the fetch.
	rk := v.keys.(*remoteKeys)
	for deadline := time.Now().Add(10 * time.Second); len(rk.fetching) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no fetch started")
		}
	}
	if _, err := v.Verify(t.Context(), tk.Reveal()); err != nil {
		t.Fatalf("stale set within grace while a fetch is in flight: %v", err)
	}
	ec, _, _ := testKeys(t)
	forged := signES256(t, ec, []byte(`{"alg":"ES256","kid":"nope"}`), mustJSON(t, with(goodClaims(), "iss", srv.URL)))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := v.Verify(ctx, forged); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrKeySet) {
		t.Fatalf("unknown kid while a fetch is in flight: %v, want ErrKeySet at the caller's deadline", err)
	}
	close(release)
	if err := <-fetching; err != nil {
		t.Fatal(err)
	}
}

// TestKeyFetchBoundedWithoutClientTimeout: a caller's http.Client without a
// Timeout (WithHTTPClient) does not let a stalled issuer response hold a key
// fetch, and every verification queued behind it, for as long as the
// connection stays open.
func TestKeyFetchBoundedWithoutClientTimeout(t *testing.T) {
	t.Parallel()
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"issuer":`))
		w.(http.Flusher).Flush()
		select { // the rest never comes
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stall) // first: Close waits for the handler
	v, err := NewVerifier(srv.URL, "aud", WithHTTPClient(&http.Client{}))
	if err != nil {
		t.Fatal(err)
	}
	v.keys.(*remoteKeys).requestTimeout = 100 * time.Millisecond
	ec, _, _ := testKeys(t)
	tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, with(goodClaims(), "iss", srv.URL)))
	done := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), tok)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrKeySet) {
			t.Fatalf("stalled issuer: %v, want ErrKeySet", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled key fetch held the verification")
	}
}

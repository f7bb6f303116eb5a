package audit

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// authTransport adds a credential to every request, as a vendor's
// authentication transport would.
type authTransport struct{ base http.RoundTripper }

const canaryCredential = "Bearer canary-webhook-credential-7f3a"

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", canaryCredential)
	return a.base.RoundTrip(r)
}

// TestWebhookRefusesRedirects: a 3xx from the endpoint is a failed delivery
// with ErrRedirect, the redirect target is never contacted (not with the
// events, not with the credential, not with a body-less GET answered 200),
// whatever the redirect code, the target's origin, or the caller's own
// redirect policy.
func TestWebhookRefusesRedirects(t *testing.T) {
	t.Parallel()
	var targetHits atomic.Int32
	var leaked atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
		w.WriteHeader(http.StatusOK) // what turned a lost event into "delivered"
	}))
	t.Cleanup(target.Close)

	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, to := range []struct{ name, url string }{
			{"cross-origin", target.URL + "/collect"},
			{"cross-host", strings.Replace(target.URL, "127.0.0.1", "localhost", 1) + "/collect"},
			{"same-origin", "/elsewhere"},
			{"plain-http-downgrade", "http://example.com/collect"},
		} {
			t.Run(strconv.Itoa(code)+"/"+to.name, func(t *testing.T) {
				t.Parallel()
				var srcHits atomic.Int32
				src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if srcHits.Add(1) > 1 && r.URL.Path == "/elsewhere" {
						w.WriteHeader(http.StatusOK) // the followed GET would be acknowledged here
						return
					}
					http.Redirect(w, r, to.url+"?token=canary-query-secret", code)
				}))
				t.Cleanup(src.Close)
				// The caller's client follows redirects; the webhook must not.
				client := &http.Client{Transport: authTransport{http.DefaultTransport}, Timeout: 5 * time.Second}
				w, err := NewWebhook(src.URL, WithHTTPClient(client), WithBatch(1, 0), WithRetry(3, time.Millisecond, time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = w.Close() })
				err = w.Write(t.Context(), testEvent(1))
				if !errors.Is(err, ErrRedirect) || !errors.Is(err, ErrDelivery) {
					t.Fatalf("Write after %d: got %v, want ErrRedirect", code, err)
				}
				var re *RedirectError
				if !errors.As(err, &re) || re.Code != code {
					t.Errorf("error %v: want *RedirectError with code %d", err, code)
				}
				if strings.Contains(err.Error(), "canary-query-secret") {
					t.Errorf("error echoes the redirect's query: %v", err)
				}
				if n := srcHits.Load(); n != 1 {
					t.Errorf("endpoint got %d requests, want 1 (a redirect is permanent, not retried or followed)", n)
				}
				if client.CheckRedirect != nil {
					t.Error("the caller's client was modified")
				}
			})
		}
	}
	t.Cleanup(func() {
		if n := targetHits.Load(); n != 0 {
			t.Errorf("redirect target contacted %d times", n)
		}
		if leaked.Load() {
			t.Error("credential reached the redirect target")
		}
	})
}

func TestNewWebhookSchemes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		ok   bool
	}{
		{"https", "https://audit.example.com/events", true},
		{"http loopback v4", "http://127.0.0.1:8080/events", true},
		{"http loopback v4 range", "http://127.8.0.1:8080/events", true},
		{"http loopback v6", "http://[::1]:8080/events", true},
		{"http localhost (a name: resolved, not pinned)", "http://localhost:8080/events", false},
		{"http remote", "http://audit.example.com/events", false},
		{"http private address", "http://10.0.0.1/events", false},
		{"http localhost lookalike", "http://localhost.example.com/events", false},
		{"user info", "https://user:canary-password@audit.example.com/events", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := NewWebhook(tt.url)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				w.Close()
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
			if strings.Contains(err.Error(), "canary-password") {
				t.Errorf("error echoes the password: %v", err)
			}
		})
	}
}

// TestWebhookErrorsOmitQueryCredential: a delivery that fails at the
// network names the endpoint in its error and log line without its query,
// which may carry a credential (?token=...).
func TestWebhookErrorsOmitQueryCredential(t *testing.T) {
	t.Parallel()
	const secret = "canary-query-token-91c2"
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL + "/events?token=" + secret
	srv.Close() // connection refused from now on
	var logs strings.Builder
	w, err := NewWebhook(endpoint, WithRetry(2, time.Millisecond, time.Millisecond), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = w.Write(t.Context(), testEvent(1))
	if !errors.Is(err, ErrDelivery) {
		t.Fatalf("Write to a closed endpoint: %v, want ErrDelivery", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
		t.Fatalf("the query credential reached the error or log:\n%v\n%s", err, logs.String())
	}
	if !strings.Contains(err.Error(), "127.0.0.1") { // by host only: a path may be a secret
		t.Errorf("the error no longer names the endpoint: %v", err)
	}
}

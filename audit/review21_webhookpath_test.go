package audit

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// pathCanary stands in for the secret of a Slack, Discord or Teams incoming
// webhook, which is a path segment, not a query.
const pathCanary = "XXXXPATHSECRETcanary"

// Slack-, Discord- and Teams-style endpoints carry their secret in the
// path, but the webhook printed the path in String, its errors and its log
// lines, so the secret reached the vendor's logs.
func TestReview21WebhookPathNeverPrinted(t *testing.T) {
	t.Parallel()
	t.Run("config errors", func(t *testing.T) {
		t.Parallel()
		for _, endpoint := range []string{
			"ftp://hooks.slack.com/services/T000/B000/" + pathCanary,
			"http://discord.com/api/webhooks/123/" + pathCanary,
			"http://tenant.webhook.office.com/webhookb2/" + pathCanary + "/IncomingWebhook/x",
			"mailto:" + pathCanary,
			"https:" + pathCanary,
			"https:///" + pathCanary,
		} {
			w, err := NewWebhook(endpoint)
			if err == nil {
				w.Close()
				t.Errorf("NewWebhook accepted %q", endpoint)
				continue
			}
			if strings.Contains(err.Error(), pathCanary) {
				t.Errorf("NewWebhook error prints the endpoint's path: %v", err)
			}
		}
	})
	t.Run("String", func(t *testing.T) {
		t.Parallel()
		w, err := NewWebhook("https://hooks.slack.com/services/T000/B000/" + pathCanary)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("sink", "webhook", w)
		for _, out := range []string{fmt.Sprintf("%v %+v %#v %s %q", w, w, w, w, w), logged.String()} {
			if strings.Contains(out, pathCanary) || strings.Contains(out, "T000") {
				t.Errorf("printed the endpoint's path: %s", out)
			}
			if !strings.Contains(out, "https://hooks.slack.com/…") {
				t.Errorf("does not name the endpoint's host: %s", out)
			}
		}
	})
	t.Run("server error", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}))
		t.Cleanup(srv.Close)
		deliverAndCheck(t, srv.URL+"/api/webhooks/123/"+pathCanary)
	})
	t.Run("redirect", func(t *testing.T) {
		t.Parallel()
		// A trailing-slash redirect names the secret path back.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		}))
		t.Cleanup(srv.Close)
		deliverAndCheck(t, srv.URL+"/services/T000/B000/"+pathCanary)
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		deliverAndCheck(t, "http://"+addr+"/webhookb2/"+pathCanary+"/IncomingWebhook")
	})
}

// deliverAndCheck writes one event to endpoint, which must fail, and checks
// that neither the error nor the injected logger's output names the path.
func deliverAndCheck(t *testing.T, endpoint string) {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	w, err := NewWebhook(endpoint, WithLogger(logger), WithBatch(1, 0), WithRetry(2, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	err = w.Write(t.Context(), testEvent(1))
	_ = w.Close()
	if err == nil {
		t.Fatal("Write succeeded, want a delivery failure")
	}
	if strings.Contains(err.Error(), pathCanary) || strings.Contains(logs.String(), pathCanary) {
		t.Errorf("the path credential reached the error or log:\n%v\n%s", err, logs.String())
	}
}

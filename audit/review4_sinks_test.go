package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// shortWriter takes half of every write and, against io.Writer's
// contract, reports no error.
type shortWriter struct{ got bytes.Buffer }

func (w *shortWriter) Write(p []byte) (int, error) {
	n := len(p) / 2
	w.got.Write(p[:n])
	return n, nil
}

// TestReview4JSONLinesShortWrite: a writer that took part of a line and
// reported no error has not recorded the event; JSONLines counted it as
// written.
func TestReview4JSONLinesShortWrite(t *testing.T) {
	t.Parallel()
	w := &shortWriter{}
	s, err := NewJSONLines(w)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(t.Context(), testEvent(1))
	if !errors.Is(err, ErrSink) || !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("Write to a short writer = %v, want ErrSink and io.ErrShortWrite", err)
	}
}

// TestReview4WebhookNeverPrintsItsQuery: the webhook's errors drop the
// endpoint's query (it may carry a credential), but the Webhook value
// itself printed it, and its client, with %v, %+v or %#v, or in a slog
// attribute.
func TestReview4WebhookNeverPrintsItsQuery(t *testing.T) {
	t.Parallel()
	const secret = "CANARY-TOKEN-0123"
	w, err := NewWebhook("https://user:pw@collector.example/ingest?token=" + secret)
	if err == nil {
		w.Close()
		t.Fatal("user info accepted")
	}
	w, err = NewWebhook("https://collector.example/ingest?token=" + secret)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("sink", "webhook", w)
	outs := []string{fmt.Sprintf("%v %+v %#v %s %q %x", w, w, w, w, w, w), fmt.Sprint(w), logged.String()}
	for _, out := range outs {
		if strings.Contains(out, secret) || strings.Contains(out, "token") {
			t.Errorf("printed the endpoint's query: %s", out)
		}
		if !strings.Contains(out, "https://collector.example/…") { // by host only: a path may be a secret
			t.Errorf("does not name the endpoint: %s", out)
		}
	}
}

package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/policy/gate/k8s"
	"github.com/ztci/ztci/verify/image"
)

// sinkCanary is a credential an audit sink's error may carry (the URL it
// publishes to); it belongs in the operator's log only.
const sinkCanary = "s3cret-sink-canary-91c4"

var errCanarySink = fmt.Errorf("%w: publish to nats://admin:%s@nats.internal:4222: connection refused", audit.ErrSink, sinkCanary)

// safeBuf is a log buffer written by concurrent decisions.
type safeBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// leaks reports whether any error in err's tree says s.
func leaks(err error, s string) bool {
	if err == nil {
		return false
	}
	if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), s) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return leaks(u.Unwrap(), s)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if leaks(e, s) {
				return true
			}
		}
	}
	return false
}

// TestReview21AuditSinkErrorNotEchoed: the audit sink's error reached the
// caller (Decision.Error, the HTTP body, the webhook's message, the
// observer), a caller that presented a bad token included, so a sink
// error naming its URL with credentials, a DSN or a path was handed to
// whoever asked. The caller gets a fixed ErrUnaudited (so ErrUndecided and
// audit.ErrSink); the sink's error goes to the operator's log.
func TestReview21AuditSinkErrorNotEchoed(t *testing.T) {
	t.Parallel()
	inline := gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	id, err := tokens.Verify(t.Context(), goodToken)
	if err != nil {
		t.Fatal(err)
	}
	revoked := &marks{}
	revoked.mark(id.ID())
	tests := []struct {
		name string
		req  gate.Request
		opts []gate.Option
	}{
		{"bad token", gate.Request{JobToken: gate.NewToken("forged"), Image: "r.example/a:b"}, nil},
		{"allow", inline, nil},
		{"revoked job", inline, []gate.Option{gate.WithRevocations(gate.Revocations{Jobs: revoked})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs safeBuf
			var observed []string
			var mu sync.Mutex
			opts := append([]gate.Option{
				gate.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
				gate.WithObserver(gate.ObserverFunc(func(o gate.Observation) {
					mu.Lock()
					defer mu.Unlock()
					if leaks(o.Err, sinkCanary) {
						observed = append(observed, "error chain")
					}
					if o.Decision != nil {
						observed = append(observed, fmt.Sprintf("%+v", *o.Decision))
					}
				})),
			}, tt.opts...)
			sink := audit.SinkFunc(func(context.Context, audit.Event) error { return errCanarySink })
			g := newGate(t, &allowVerified{}, sink, opts...)

			d, err := g.Decide(t.Context(), tt.req)
			if d.Allowed || !errors.Is(err, gate.ErrUnaudited) || !errors.Is(err, gate.ErrUndecided) || !errors.Is(err, audit.ErrSink) {
				t.Fatalf("Decide = %+v, %v; want an undecided deny wrapping ErrUnaudited", d, err)
			}
			if leaks(err, sinkCanary) || strings.Contains(d.Error+d.String(), sinkCanary) {
				t.Fatalf("the sink's error reached the caller: %v / %q / %s", err, d.Error, d)
			}
			mu.Lock()
			for _, o := range observed {
				if strings.Contains(o, sinkCanary) {
					t.Fatalf("the sink's error reached the observer: %s", o)
				}
			}
			mu.Unlock()
			if !strings.Contains(logs.String(), sinkCanary) {
				t.Fatalf("the sink's error is not in the operator's log: %s", logs.String())
			}

			b, err := gate.EncodeRequest(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post("http://"+serveGate(t, g)+gate.PathAdmit, "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK || bytes.Contains(body, []byte(sinkCanary)) {
				t.Fatalf("HTTP %d %s; want a refusal without the sink's error", resp.StatusCode, body)
			}
		})
	}
}

// TestReview21AuditSinkErrorNotInWebhookMessage: through the admission
// webhook the gate's error became the AdmissionResponse's message (which
// the API server shows whoever created the object) and the webhook's own
// audit event.
func TestReview21AuditSinkErrorNotInWebhookMessage(t *testing.T) {
	t.Parallel()
	g := newGate(t, &allowVerified{}, audit.SinkFunc(func(context.Context, audit.Event) error { return errCanarySink }))
	own := &memSink{}
	w, err := k8s.New(g, identity.TokenSourceFunc(func(context.Context) (string, error) { return "forged", nil }), own)
	if err != nil {
		t.Fatal(err)
	}
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns"},` +
		`"spec":{"containers":[{"name":"c","image":"r.example/a@` + artifactDigest + `"}]}}`
	resp := w.Review(t.Context(), &admissionv1.AdmissionRequest{UID: "u1", Operation: admissionv1.Create, Namespace: "ns", Name: "p",
		Kind:     metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Object:   runtime.RawExtension{Raw: []byte(pod)}})
	if resp.Allowed || resp.Result == nil {
		t.Fatalf("response %+v; want a deny", resp)
	}
	b, _ := json.Marshal(resp)
	evs, _ := json.Marshal(own.all())
	if bytes.Contains(b, []byte(sinkCanary)) || bytes.Contains(evs, []byte(sinkCanary)) {
		t.Fatalf("the gate's sink error reached the webhook's answer or event: %s / %s", b, evs)
	}
	if !strings.Contains(resp.Result.Message, "not audited") {
		t.Fatalf("message %q; want it to say the decision was not audited", resp.Result.Message)
	}
}

// stuckSink ignores its context: every write (or, with allowsOnly, every
// allow) waits until release is closed, then succeeds.
type stuckSink struct {
	release    chan struct{}
	allowsOnly bool
	mem        memSink
}

func (s *stuckSink) Write(ctx context.Context, ev audit.Event) error {
	if !s.allowsOnly || ev.Outcome == audit.OutcomeAllow {
		<-s.release
	}
	return s.mem.Write(ctx, ev)
}

// TestReview21AuditSinkIgnoringContext: a sink that ignores its context
// held the decision (its HTTP slot, its job's slot) forever. The write is
// abandoned when the audit deadline passes and the request is undecided,
// never allowed; an allow the sink writes later was never returned.
func TestReview21AuditSinkIgnoringContext(t *testing.T) {
	t.Parallel()
	inline := gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	for _, tt := range []struct {
		name       string
		req        gate.Request
		allowsOnly bool
	}{
		{"bad token", gate.Request{JobToken: gate.NewToken("forged"), Image: "r.example/a:b"}, false},
		{"allow", inline, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := &stuckSink{release: make(chan struct{}), allowsOnly: tt.allowsOnly}
			t.Cleanup(func() { close(sink.release) })
			g := newGate(t, &allowVerified{}, sink)
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			type answer struct {
				d   gate.Decision
				err error
			}
			done := make(chan answer, 1)
			start := time.Now()
			go func() {
				d, err := g.Decide(ctx, tt.req)
				done <- answer{d, err}
			}()
			select {
			case a := <-done:
				if a.d.Allowed || !errors.Is(a.err, gate.ErrUnaudited) {
					t.Fatalf("Decide = %+v, %v; want an undecided deny wrapping ErrUnaudited", a.d, a.err)
				}
				// The allow's write is abandoned; the undecided deny that
				// followed is the request's event.
				for _, ev := range sink.mem.all() {
					if ev.ID == a.d.AuditID && ev.Outcome == audit.OutcomeAllow {
						t.Fatalf("audit id %s names an allow the caller did not get", ev.ID)
					}
				}
				if el := time.Since(start); el > 3*time.Second {
					t.Fatalf("answered after %v; want within the audit grace", el)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("a sink that ignores its context holds the decision")
			}
		})
	}
}

// TestReview21ImageAuditSinkErrorNotEchoed: the image verifier's audit
// sink (image.WithAudit) failing came back inside image.ErrUnaudited with
// the sink's error, and the gate passed it on to the job.
func TestReview21ImageAuditSinkErrorNotEchoed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	main := gatetest.Job{Ref: "refs/heads/main", Protected: true}
	p, err := lab.Publish(ctx, main, "v1")
	if err != nil {
		t.Fatal(err)
	}
	var logs safeBuf
	failing := audit.SinkFunc(func(context.Context, audit.Event) error { return errCanarySink })
	g, err := lab.Gate(ctx, &memSink{}, gate.WithImageOptions(image.WithAudit(failing, "gate")),
		gate.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := lab.Token(ctx, main)
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: p.Image})
	if d.Allowed || !errors.Is(err, gate.ErrUnaudited) {
		t.Fatalf("Decide = %+v, %v; want an undecided deny wrapping ErrUnaudited", d, err)
	}
	if leaks(err, sinkCanary) || strings.Contains(d.Error+d.String(), sinkCanary) {
		t.Fatalf("the image verifier's sink error reached the caller: %v", err)
	}
	if !strings.Contains(logs.String(), sinkCanary) {
		t.Fatalf("the sink's error is not in the operator's log: %s", logs.String())
	}
}

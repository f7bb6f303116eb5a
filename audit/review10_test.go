package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
)

// A job chooses some texts of its own events (a workflow or job name in
// its claims, a resource name) that no Sealer seals. One that merely
// begins with SealedPrefix made Unseal fail for the whole event, so the
// fields that were sealed (here the client address) stayed closed to the
// operator: a compromised job hid them on all its events. Sealer.Unseal
// opens the fields it seals and leaves the others as written; a sealed
// value altered or moved still fails it.
func TestReview10LookalikeSealedValueDoesNotHideSealedFields(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	env := localEnvelope(t, genKey(t, "k1"))
	s := newSealer(t, env, audit.FieldAttributes+"client_ip")
	rec := audittest.NewRecorder()
	sink := s.Sink(rec)

	// A genuine sealed value of another event, and plain garbage: both
	// are what the job wrote as its workflow name and resource.
	donor, err := s.Apply(ctx, sealEvent("evt-donor"))
	if err != nil {
		t.Fatal(err)
	}
	e := sealEvent("evt-job")
	e.Actor.Claims = map[string]string{"workflow": donor.Attributes["client_ip"]}
	e.Resource = audit.SealedPrefix + "AAAA"
	if err := sink.Write(ctx, e); err != nil {
		t.Fatal(err)
	}
	logged := rec.Events()[0]

	if _, err := audit.Unseal(ctx, env, logged); !errors.Is(err, audit.ErrUnseal) {
		t.Fatalf("Unseal of the event = %v; the lookalikes were expected to make it fail (documented)", err)
	}
	opened, err := s.Unseal(ctx, logged)
	if err != nil {
		t.Fatalf("Sealer.Unseal: %v", err)
	}
	if opened.Attributes["client_ip"] != "203.0.113.7" {
		t.Fatalf("client_ip = %q, want it opened", opened.Attributes["client_ip"])
	}
	if opened.Resource != e.Resource || opened.Actor.Claims["workflow"] != e.Actor.Claims["workflow"] {
		t.Fatalf("fields the sealer does not seal were changed: %+v", opened)
	}

	// The sealed field itself still fails closed when its value was moved.
	moved := logged
	moved.Attributes = map[string]string{"client_ip": donor.Attributes["client_ip"]}
	if got, err := s.Unseal(ctx, moved); !errors.Is(err, audit.ErrUnseal) || got.ID != "" {
		t.Fatalf("moved sealed value: %+v, %v; want the zero Event and ErrUnseal", got, err)
	}
}

// A burst is raised once and re-armed when the identity's rate has
// dropped to half the threshold. With WithBurst(1, w) half is zero, which
// no window holding the event being examined can reach: after its first
// burst an identity could burst as often as it liked, unreported.
func TestReview10BurstOfOneReArms(t *testing.T) {
	t.Parallel()
	rec := audittest.NewRecorder()
	d, err := audit.NewDetector(rec, audit.WithBurst(1, time.Minute), audit.WithLearning(0), audit.WithEventTimeTrustedUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // a Monday, working hours
	for i, at := range []time.Duration{0, time.Second, time.Hour, time.Hour + time.Second} {
		e := audit.Event{ID: fmt.Sprintf("e%d", i), Time: t0.Add(at), Source: "ztci/test", Action: "secrets.lease.issue",
			Outcome: audit.OutcomeAllow, Actor: audit.Actor{ID: "spiffe://example.org/job"}, Resource: "secret:db"}
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	var bursts []string
	for _, a := range rec.Events() {
		if a.Action == audit.ActionAnomalyPrefix+audit.RuleBurst {
			bursts = append(bursts, a.Attributes[audit.AttrTriggerEvent])
		}
	}
	if !slices.Equal(bursts, []string{"e1", "e3"}) {
		t.Fatalf("bursts raised by %v, want [e1 e3]", bursts)
	}
}

// A CloudEvent's data is the event's stable JSON ([Encode]), which is the
// Merkle leaf a log stores: a consumer of the webhook or of JSON Lines
// CloudEvents checks a delivered event against the log with those bytes.
// json.Marshal re-escaped '<', '>' and '&' inside data, so an event
// holding one (a URL with a query, a resource a job named) arrived as
// other bytes than the log's, and matched no leaf.
func TestReview10CloudEventDataIsTheStableJSON(t *testing.T) {
	t.Parallel()
	e := audit.Event{
		ID: "e-1", Time: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), Source: "ztci/policy/egress", Action: "egress.connect",
		Outcome: audit.OutcomeDeny, Actor: audit.Actor{ID: "spiffe://example.org/job"},
		Resource: "https://example.com/?a=1&b=<2>",
	}
	want, err := audit.Encode(e)
	if err != nil {
		t.Fatal(err)
	}

	var lines bytes.Buffer
	jl, err := audit.NewJSONLines(&lines, audit.WithCloudEvents())
	if err != nil {
		t.Fatal(err)
	}
	if err := jl.Write(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	var ce audit.CloudEvent
	if err := json.Unmarshal(lines.Bytes(), &ce); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ce.Data, want) {
		t.Errorf("JSON Lines CloudEvent data:\n%s\nwant the stable JSON\n%s", ce.Data, want)
	}

	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- body
	}))
	defer srv.Close()
	wh, err := audit.NewWebhook(srv.URL, audit.WithBatch(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	if err := wh.Write(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	var batch []audit.CloudEvent
	if err := json.Unmarshal(<-got, &batch); err != nil || len(batch) != 1 {
		t.Fatalf("batch: %v, %d events", err, len(batch))
	}
	if !bytes.Equal(batch[0].Data, want) {
		t.Errorf("webhook CloudEvent data:\n%s\nwant the stable JSON\n%s", batch[0].Data, want)
	}
}

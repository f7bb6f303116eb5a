package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// nthFailingSink refuses its fail'th write (from 0), naming its address
// with a credential; it accepts every other.
type nthFailingSink struct {
	fail  int64
	calls atomic.Int64
}

func (s *nthFailingSink) Write(context.Context, audit.Event) error {
	if s.calls.Add(1)-1 == s.fail {
		return fmt.Errorf("POST https://audit:%s@audit.internal/events: 503", depCanary)
	}
	return nil
}

// TestReview21InlineUnauditedUndecided: an inline bundle whose
// verification the bundle verifier could not audit (verify.ErrAudit) was
// only rejected, and the request was allowed on the other bundles while
// the verifications' audit trail was incomplete; an image's such bundle
// makes the image undecidable. It now makes the request undecided too,
// whichever bundle it is: the caller gets the category, the operator's
// log the sink's error under the decision's audit event id.
func TestReview21InlineUnauditedUndecided(t *testing.T) {
	t.Parallel()
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	for fail := range int64(2) {
		t.Run(fmt.Sprintf("bundle %d", fail), func(t *testing.T) {
			t.Parallel()
			v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: conformanceSAN, Issuer: githubIssuer},
				PredicateType: attest.PredicateSLSAProvenanceV1}, verify.WithAudit(&nthFailingSink{fail: fail}, "review21"))
			if err != nil {
				t.Fatal(err)
			}
			var logs safeBuf
			sink := &memSink{}
			g, err := gate.New(tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: v}, &allowVerified{}, sink,
				gate.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken),
				Bundles: []json.RawMessage{bundle(t), bundle(t)}, Name: "a.txt", Digest: artifactDigest})
			if d.Allowed || !errors.Is(err, gate.ErrUndecided) || !errors.Is(err, verify.ErrAudit) {
				t.Fatalf("Decide = %s, %v; want undecided (verify.ErrAudit)", d, err)
			}
			js, _ := json.Marshal(d)
			if leaks(err, depCanary) || strings.Contains(d.Error+string(js), depCanary) {
				t.Fatalf("the verifier's sink error reached the caller: %v / %s", err, js)
			}
			if line := logLine(logs.String(), depCanary); d.AuditID == "" || !strings.Contains(line, "event="+d.AuditID) {
				t.Fatalf("the sink's error is not in the log under audit id %q:\n%s", d.AuditID, logs.String())
			}
			for _, ev := range sink.all() {
				if ev.Outcome == audit.OutcomeAllow {
					t.Fatalf("an allow was audited: %+v", ev)
				}
			}
		})
	}
}

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
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
)

// depCanary is a credential a dependency's error may carry (a DSN, a KMS
// key URI, a registry or bundle server address); it belongs in the
// operator's log only.
const depCanary = "s3cret-dep-canary-5be1"

// leakCase is one dependency failing with depCanary in its error.
type leakCase struct {
	name string
	want error
	// gate builds the gate with opts (the logger and observer under test).
	gate func(t *testing.T, opts ...gate.Option) *gate.Gate
	// req returns a request (a fresh one per call: tokens may be single use).
	req func(t *testing.T) gate.Request
}

// TestReview21DependencyErrorsNotEchoed: the errors of the vendor's
// dependencies (inventory store, evaluator, VSA and SVR signer or
// attacher) were wrapped into Decide's error, which reaches every caller
// (Decision.Error, the HTTP body, the webhook's message, the observer): a
// store error carrying its DSN with a password, or a signer's KMS key URI,
// was handed to whoever asked. The caller now gets the sentinel's fixed
// text; the dependency's error goes to the operator's log, under the
// request's audit event id. The token verifier's error (which may quote
// the token) was already withheld; it is now logged with the event id too.
func TestReview21DependencyErrorsNotEchoed(t *testing.T) {
	t.Parallel()
	inline := func(*testing.T) gate.Request {
		return gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	}
	inlineGate := func(tokens identity.TokenVerifier, eval policy.Evaluator) func(*testing.T, ...gate.Option) *gate.Gate {
		return func(t *testing.T, opts ...gate.Option) *gate.Gate {
			g, err := gate.New(tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenanceVerifier(t)}, eval, &memSink{}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
	}
	leakyTokens := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		return identity.Identity{}, fmt.Errorf("jwks https://idp:%s@idp.example/keys refused token %s", depCanary, raw)
	})
	leakyPolicy := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{}, fmt.Errorf("bundle https://opa:%s@bundles.example/deploy.tar.gz: 401", depCanary)
	})
	w := newVSAWorld(t)
	img := w.publishMain(t)
	leakySigner := attest.SignerFunc(func(context.Context, string, []byte) ([]byte, error) {
		return nil, fmt.Errorf("awskms:///arn:aws:kms:eu-west-1:1:key/%s: AccessDenied", depCanary)
	})
	leakyAttacher := gate.AttacherFunc(func(context.Context, name.Digest, []byte) error {
		return fmt.Errorf("PUT https://push:%s@registry.example/v2/: 500", depCanary)
	})
	imageReq := func(t *testing.T) gate.Request { return w.request(t, img.Image) }
	tests := []leakCase{
		{"token verifier", gate.ErrUnauthenticated, inlineGate(leakyTokens, &allowVerified{}), inline},
		{"evaluator", gate.ErrUndecided, inlineGate(tokens, leakyPolicy), inline},
		{"inventory", gate.ErrNotIndexed, func(t *testing.T, opts ...gate.Option) *gate.Gate {
			return inlineGate(tokens, &allowVerified{})(t, append(opts, gate.WithInventory(leakyStore{inventory.NewMemory()}))...)
		}, inline},
		{"vsa signer", gate.ErrVSANotIssued, func(t *testing.T, opts ...gate.Option) *gate.Gate {
			iss := w.issuer(&attachments{})
			iss.Signer = leakySigner
			g, _ := w.gate(t, &memSink{}, append(opts, gate.WithVSA(iss))...)
			return g
		}, imageReq},
		{"svr attacher", gate.ErrSVRNotIssued, func(t *testing.T, opts ...gate.Option) *gate.Gate {
			iss := w.svrIssuer(t, &attachments{})
			iss.Attacher = leakyAttacher
			g, _ := w.gate(t, &memSink{}, append(opts, gate.WithSVR(iss))...)
			return g
		}, imageReq},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkWithheld(t, tt)
		})
	}
}

// checkWithheld decides tt's request and checks that depCanary (and the
// job token) reach no caller and that depCanary is logged with the
// decision's audit event id.
func checkWithheld(t *testing.T, tt leakCase) {
	t.Helper()
	g, logs, observed := watchedGate(t, tt)
	req := tt.req(t)
	d, err := g.Decide(t.Context(), req)
	if d.Allowed || !errors.Is(err, tt.want) {
		t.Fatalf("Decide = %+v, %v; want a deny wrapping %v", d, err, tt.want)
	}
	checkNotEchoed(t, d, err, observed)
	line := logLine(logs.String(), depCanary)
	if d.AuditID == "" || !strings.Contains(line, d.AuditID) {
		t.Fatalf("the dependency's error is not in the operator's log under audit id %q:\n%s", d.AuditID, logs.String())
	}
	if strings.Contains(logs.String(), req.JobToken.Reveal()) {
		t.Fatalf("the job token reached the log:\n%s", logs.String())
	}

	status, body := postRequest(t, g, tt)
	if status == http.StatusOK || bytes.Contains(body, []byte(depCanary)) {
		t.Fatalf("HTTP %d %s; want a refusal without the dependency's error", status, body)
	}
}

// watchedGate is tt's gate with its log written to logs and its
// observations that hold depCanary, or name a decision, kept for observed.
func watchedGate(t *testing.T, tt leakCase) (g *gate.Gate, logs *safeBuf, observed func() []string) {
	t.Helper()
	logs = &safeBuf{}
	var mu sync.Mutex
	var seen []string
	g = tt.gate(t, gate.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		gate.WithObserver(gate.ObserverFunc(func(o gate.Observation) {
			mu.Lock()
			defer mu.Unlock()
			if leaks(o.Err, depCanary) {
				seen = append(seen, "error chain: "+o.Err.Error())
			}
			if o.Decision != nil {
				seen = append(seen, fmt.Sprintf("%+v", *o.Decision))
			}
		})))
	return g, logs, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// checkNotEchoed fails t when depCanary reached the caller of a decision
// (its error, the Decision, its String and JSON) or the observer.
func checkNotEchoed(t *testing.T, d gate.Decision, err error, observed func() []string) {
	t.Helper()
	js, _ := json.Marshal(d)
	caller := d.Error + d.String() + string(js)
	if leaks(err, depCanary) || strings.Contains(caller, depCanary) {
		t.Fatalf("the dependency's error reached the caller: %v / %s", err, caller)
	}
	for _, o := range observed() {
		if strings.Contains(o, depCanary) {
			t.Fatalf("the dependency's error reached the observer: %s", o)
		}
	}
}

// postRequest sends tt's request to g's HTTP API and returns the answer.
func postRequest(t *testing.T, g *gate.Gate, tt leakCase) (int, []byte) {
	t.Helper()
	b, err := gate.EncodeRequest(tt.req(t))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+serveGate(t, g)+gate.PathAdmit, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, body
}

// logLine is the first line of logs that holds s, or "".
func logLine(logs, s string) string {
	for l := range strings.Lines(logs) {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// leakyStore is an inventory whose Record fails naming its DSN.
type leakyStore struct{ *inventory.Memory }

func (leakyStore) Record(context.Context, inventory.Admission) error {
	return fmt.Errorf("%w: postgres://ztci:%s@db.internal/inventory: connection refused", inventory.ErrUnavailable, depCanary)
}

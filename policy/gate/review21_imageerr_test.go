package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// leakyKeychain is a credential helper whose error quotes what it read.
type leakyKeychain struct{}

func (leakyKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return nil, fmt.Errorf("docker-credential-ecr-login: parse {\"Secret\":\"%s\"}: unexpected end of JSON input", depCanary)
}

// leakyProxy is a transport whose error names its proxy's credentials.
type leakyProxy struct{}

func (leakyProxy) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("proxyconnect tcp: http://squid:%s@proxy.internal:3128: connection refused", depCanary)
}

// leakyRegistry answers every request 401 with a bearer challenge whose
// realm path and error body carry depCanary.
func leakyRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://auth.invalid/robot-%s/token",service="%s"`, depCanary, depCanary))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"errors":[{"code":"UNAUTHORIZED","message":"token %s expired"}]}`, depCanary)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// leakySink is a verifier's audit sink whose error names its address.
var leakySink = audit.SinkFunc(func(context.Context, audit.Event) error {
	return fmt.Errorf("POST https://rekor:%s@rekor.internal/api/v1/log/entries: 502", depCanary)
})

// TestReview21ImageErrorsNotEchoed: an image verification's error reached
// the caller as "gate: could not decide: image verification: <error>",
// and a rejected attestation's as Decision.Attestations[].Error: a
// credential helper's, a proxy's or a registry's message, a bundle
// verifier's (whose trust material, transparency log or audit sink is
// reached over the network), which may carry a credential, went to
// whoever asked, a forged token included. The caller now gets the
// error's category (errors.Is holds); the operator's log gets the error
// with the decision's audit event id.
func TestReview21ImageErrorsNotEchoed(t *testing.T) {
	t.Parallel()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	imageReq := func(t *testing.T) gate.Request { return w.request(t, img.Image) }
	imageGate := func(vs gate.Verifiers, more ...gate.Option) func(*testing.T, ...gate.Option) *gate.Gate {
		return func(t *testing.T, opts ...gate.Option) *gate.Gate {
			if vs == nil {
				var err error
				if vs, err = w.lab.Verifiers(false); err != nil {
					t.Fatal(err)
				}
			}
			g, _ := w.gateWith(t, vs, w.lab.PolicyConfig(), &memSink{}, append(more, opts...)...)
			return g
		}
	}
	reg := leakyRegistry(t)
	inline := func(*testing.T) gate.Request {
		return gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	}
	tests := []struct {
		leakCase
		category error // the image verification's category; nil: a deny, the attestation rejected
	}{
		{leakCase{"keychain", gate.ErrUndecided, imageGate(nil, gate.WithImageOptions(image.WithKeychain(leakyKeychain{}))), imageReq}, image.ErrRegistry},
		{leakCase{"proxy", gate.ErrUndecided, imageGate(nil, gate.WithImageOptions(image.WithTransport(leakyProxy{}))), imageReq}, image.ErrRegistry},
		{leakCase{"registry", gate.ErrUndecided, imageGate(nil, gate.WithRegistries(reg)), func(t *testing.T) gate.Request {
			return w.request(t, reg+"/acme/app:v1")
		}}, image.ErrRegistry},
		{leakCase{"image bundle verifier", gate.ErrUndecided, imageGate(labVerifiers(t, w)), imageReq}, verify.ErrAudit},
		{leakCase{"inline bundle verifier", gate.ErrUndecided, func(t *testing.T, opts ...gate.Option) *gate.Gate {
			g, err := gate.New(tokens, gate.Verifiers{attest.PredicateSLSAProvenanceV1: auditedProvenanceVerifier(t)}, &allowVerified{}, &memSink{}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}, inline}, verify.ErrAudit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkImageWithheld(t, tt.leakCase, tt.category)
		})
	}
}

// TestReview21AttestationReportCategory: AttestationReport (the gate's
// Decision.Attestations on the image path) repeated each rejected
// attestation's error, a bundle verifier's included, whose trust material
// or transparency log is fetched over the network. It now says the
// category, and the gate's own findings (a revoked signer) as they were.
func TestReview21AttestationReportCategory(t *testing.T) {
	t.Parallel()
	h := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}
	leak := fmt.Errorf("%w: %w: GET https://rekor:%s@rekor.internal/api/v1/log/entries: 502", image.ErrBundleRejected, verify.ErrTlog, depCanary)
	fetch := fmt.Errorf("%w: %w: %s", image.ErrArtifactFetch, &image.TooLargeError{What: "bundle blob", Limit: 1, Got: 2}, depCanary)
	other := fmt.Errorf("%w: verifier said %s", image.ErrBundleRejected, depCanary)
	pinned, err := name.NewDigest("registry.example/app@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	res := &image.Result{Digest: pinned, Threshold: 1,
		Targets: []image.Target{{Digest: h, Attestations: []image.Attestation{{PredicateType: "p1", Err: leak}, {PredicateType: "p2", Err: fetch}, {PredicateType: "p3", Err: other}}}}}
	want := []string{verify.ErrTlog.Error(), image.ErrArtifactFetch.Error() + " (" + image.ErrTooLarge.Error() + ")", image.ErrBundleRejected.Error()}
	for i, a := range gate.AttestationReport(res) {
		if a.Verified || a.Error != want[i] {
			t.Errorf("attestation %d: %+v; want error %q", i, a, want[i])
		}
	}
}

// labVerifiers are the Lab's provenance verifier with an audit sink that
// fails naming depCanary.
func labVerifiers(t *testing.T, w *vsaWorld) gate.Verifiers {
	t.Helper()
	trJSON, err := w.lab.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := verify.New(trust, verify.Expectation{
		Signer: verify.Identity{SAN: gatetest.SignerSAN, Issuer: w.lab.IssuerURL()}, PredicateType: attest.PredicateSLSAProvenanceV1,
	}, verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1), verify.WithAudit(leakySink, "review21"))
	if err != nil {
		t.Fatal(err)
	}
	return gate.Verifiers{attest.PredicateSLSAProvenanceV1: prov}
}

// auditedProvenanceVerifier is provenanceVerifier with leakySink.
func auditedProvenanceVerifier(t *testing.T) *verify.Verifier {
	t.Helper()
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{
		Signer: verify.Identity{SAN: conformanceSAN, Issuer: githubIssuer}, PredicateType: attest.PredicateSLSAProvenanceV1,
	}, verify.WithAudit(leakySink, "review21"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkImageWithheld decides tt's request: undecided in category when
// category is set, otherwise a deny reporting the rejected attestation.
// depCanary must reach no caller (error, Decision, its String, the HTTP
// body, the observer) and must be in the operator's log under the
// decision's audit event id.
func checkImageWithheld(t *testing.T, tt leakCase, category error) {
	t.Helper()
	g, logs, observed := watchedGate(t, tt)
	d, err := g.Decide(t.Context(), tt.req(t))
	switch {
	case d.Allowed:
		t.Fatalf("Decide = %s; want a deny", d)
	case category != nil && (!errors.Is(err, tt.want) || !errors.Is(err, category)):
		t.Fatalf("Decide = %s, %v; want %v and %v", d, err, tt.want, category)
	case category == nil && (err != nil || len(d.Attestations) == 0 || d.Attestations[0].Error == ""):
		t.Fatalf("Decide = %+v, %v; want a deny reporting the rejected attestation", d, err)
	}
	checkNotEchoed(t, d, err, observed)
	if line := logLine(logs.String(), depCanary); d.AuditID == "" || !strings.Contains(line, "event="+d.AuditID) {
		t.Fatalf("the dependency's error is not in the operator's log under audit id %q:\n%s", d.AuditID, logs.String())
	}

	status, body := postRequest(t, g, tt)
	if bytes.Contains(body, []byte(depCanary)) {
		t.Fatalf("HTTP %d %s; want an answer without the dependency's error", status, body)
	}
}

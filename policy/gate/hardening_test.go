package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify/image"
)

// Name and digest belong to bundles: beside an image they name a second
// artifact the gate would not decide on, and a client reading Allowed
// alone could deploy it. Such a request is refused and audited, never
// decided on the image with the digest ignored.
func TestImageRequestWithNameOrDigestRefused(t *testing.T) {
	t.Parallel()
	good := gate.NewToken(goodToken)
	for _, req := range []gate.Request{
		{JobToken: good, Image: "r.example/a:b", Digest: artifactDigest},
		{JobToken: good, Image: "r.example/a:b", Name: "elsewhere.example/other"},
		{JobToken: good, Image: "r.example/a@" + artifactDigest, Name: "r.example/a", Digest: artifactDigest},
	} {
		sink := &memSink{}
		g := newGate(t, &allowVerified{}, sink)
		d, err := g.Decide(t.Context(), req)
		if !errors.Is(err, gate.ErrBadRequest) || d.Allowed || d.Digest != "" {
			t.Fatalf("Decide(image %q, name %q, digest %q) = %+v, %v; want a bad request", req.Image, req.Name, req.Digest, d, err)
		}
		if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeDeny || evs[0].ID != d.AuditID {
			t.Fatalf("audit = %+v", evs)
		}
	}
}

// A trusted VSA saves work, never changes the answer: a request that full
// verification refuses for its third-party summaries (given to a gate that
// takes none, or too many) is refused on the VSA path too, not allowed
// from the summary with the envelopes unread.
func TestThirdPartyVSAsRefusedOnTheTrustedVSAPath(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img, dA, _ := w.summarisedMain(t)
	tp, err := gate.NewThirdPartyVSAs(gate.ThirdPartyVSATrust{VerifierID: thirdPartyVerifier, Key: newKey(t).Public(),
		ResourceURI: thirdPartyResource, MaxAge: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	tooMany := make([]json.RawMessage, gate.MaxThirdPartyVSAs+1)
	for i := range tooMany {
		tooMany[i] = json.RawMessage(`{}`)
	}
	for _, tc := range []struct {
		name string
		opts []gate.Option
		vsas []json.RawMessage
	}{
		{name: "gate takes no third-party summaries", vsas: []json.RawMessage{json.RawMessage(`{}`)}},
		{name: "too many", opts: []gate.Option{gate.WithThirdPartyVSAs(tp)}, vsas: tooMany},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := w.request(t, img.Image)
			req.ThirdPartyVSAs = tc.vsas
			full, _ := w.gate(t, discard(), tc.opts...)
			if d, err := full.Decide(ctx, req); !errors.Is(err, gate.ErrBadRequest) || d.Allowed {
				t.Fatalf("full verification: %s, %v; want a bad request", d, err)
			}
			b, _ := w.gate(t, discard(), append(tc.opts, gate.WithTrustedVSAs(w.trustA(t, dA.PolicyRevision)))...)
			if d, err := b.Decide(ctx, req); !errors.Is(err, gate.ErrBadRequest) || d.Allowed || d.TrustedVSA != nil {
				t.Fatalf("trusted VSA path: %s, %v (trusted %v); want the same bad request", d, err, d.TrustedVSA != nil)
			}
			// Without the envelopes the summary still decides.
			req.ThirdPartyVSAs = nil
			if d, err := b.Decide(ctx, req); err != nil || !d.Allowed || d.TrustedVSA == nil {
				t.Fatalf("without third-party summaries: %s, %v", d, err)
			}
		})
	}
}

// A panic while verifying an image (here in the registry transport, on the
// gate's own flight goroutine) is an undecided request, audited; it must
// not take the process down with every decision in flight, nor leave the
// requests that joined the flight waiting.
func TestVerificationPanicIsUndecided(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			panic("registry client bug")
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	sink := &memSink{}
	g, _ := w.gate(t, sink, gate.WithImageOptions(image.WithTransport(rt)))
	for range 2 { // the second runs a new flight: the first one landed
		d, err := g.Decide(ctx, w.request(t, img.Image))
		if !errors.Is(err, gate.ErrUndecided) || d.Allowed || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("Decide = %s, %v; want undecided", d, err)
		}
	}
	if evs := sink.all(); len(evs) != 2 || evs[0].Outcome != audit.OutcomeError {
		t.Fatalf("audit = %+v", evs)
	}
}

// EncodeRequest writes every member of a Request: one it dropped would be
// silently missing at the gate.
func TestEncodeRequestKeepsEveryMember(t *testing.T) {
	t.Parallel()
	req := gate.Request{JobToken: gate.NewToken("tok"), Image: "r.example/a:b", Bundles: []json.RawMessage{json.RawMessage(`{"b":1}`)},
		Name: "r.example/a", Digest: artifactDigest, ThirdPartyVSAs: []json.RawMessage{json.RawMessage(`{"v":1}`)}, DryRun: true}
	b, err := gate.EncodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gate.DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.JobToken.Reveal() != "tok" {
		t.Fatalf("token %q", got.JobToken.Reveal())
	}
	got.JobToken, req.JobToken = gate.Token{}, gate.Token{}
	if !reflect.DeepEqual(got, req) {
		t.Fatalf("round trip:\n got %+v\nwant %+v\nbody %s", got, req, b)
	}
	// Every member the Request's JSON has appears in the body.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	rt := reflect.TypeFor[gate.Request]()
	for i := range rt.NumField() {
		tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if _, ok := m[tag]; !ok {
			t.Errorf("EncodeRequest dropped %q", tag)
		}
	}
}

// A dry run is decided as the real request, but records no admission and
// attaches nothing to the image; its audit event says it was a dry run.
// The real request that follows does all of it.
func TestDryRunChangesNothingButTheAuditLog(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	w := newVSAWorld(t)
	img := w.publishMain(t)
	var attached attachments
	store := inventory.NewMemory()
	sink := &memSink{}
	g, _ := w.gate(t, sink, gate.WithVSA(w.issuer(&attached)), gate.WithSVR(w.svrIssuer(t, &attached)), gate.WithInventory(store))
	req := w.request(t, img.Image)
	req.DryRun = true
	d, err := g.Decide(ctx, req)
	if err != nil || !d.Allowed || !d.DryRun || d.Digest != img.Digest || d.IssuedVSA != nil || d.IssuedSVR != nil {
		t.Fatalf("dry run: %+v, %v; want an allow, marked a dry run, that issued nothing", d, err)
	}
	if n := len(attached.all()); n != 0 {
		t.Fatalf("a dry run attached %d bundles", n)
	}
	if res, err := store.Query(ctx, inventory.Query{Digest: img.Digest}); err != nil || len(res.Admissions) != 0 {
		t.Fatalf("a dry run was indexed: %+v, %v", res, err)
	}
	if evs := sink.all(); len(evs) != 1 || evs[0].Outcome != audit.OutcomeAllow || evs[0].Attributes["dry_run"] != "true" {
		t.Fatalf("dry-run audit = %+v", evs)
	}
	req.DryRun = false
	d, err = g.Decide(ctx, req)
	if err != nil || !d.Allowed || d.DryRun || d.IssuedVSA == nil || d.IssuedSVR == nil {
		t.Fatalf("real run: %+v, %v", d, err)
	}
	if res, err := store.Query(ctx, inventory.Query{Digest: img.Digest}); err != nil || len(res.Admissions) != 1 {
		t.Fatalf("real run indexed %+v, %v", res, err)
	}
	if evs := sink.all(); len(evs) != 2 || evs[1].Attributes["dry_run"] != "" {
		t.Fatalf("real-run audit = %+v", evs)
	}
}

// The token verifier is the vendor's (identity.TokenVerifierFunc), and its
// error may quote the token it refused, or a part of it. The gate logs why
// a token was refused; the log never holds the token, nor any of its
// dot-separated parts, whatever the verifier's message says.
func TestRefusedTokenNeverLogged(t *testing.T) {
	t.Parallel()
	const header, claims, sig = "eyJhbGciOiJFUzI1NiJ9-canary", "eyJzdWIiOiJjYW5hcnkifQ-canary", "c2lnbmF0dXJlLWNhbmFyeQ-canary"
	raw := header + "." + claims + "." + sig
	quoting := identity.TokenVerifierFunc(func(_ context.Context, tok string) (identity.Identity, error) {
		parts := strings.Split(tok, ".")
		return identity.Identity{}, fmt.Errorf("token %q refused: header %s, signature %s does not verify", tok, parts[0], parts[len(parts)-1])
	})
	var logs bytes.Buffer
	sink := &memSink{}
	g, err := gate.New(quoting, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenanceVerifier(t)}, &allowVerified{}, sink,
		gate.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(raw), Image: "r.example/a:b"})
	if !errors.Is(err, gate.ErrUnauthenticated) || d.Allowed {
		t.Fatalf("Decide = %+v, %v; want unauthenticated", d, err)
	}
	if !strings.Contains(logs.String(), "job token rejected") {
		t.Fatalf("the refusal was not logged: %s", logs.String())
	}
	ev, _ := json.Marshal(sink.all())
	for _, part := range []string{header, claims, sig} {
		for where, text := range map[string]string{"log": logs.String(), "error": err.Error() + d.Error, "audit": string(ev)} {
			if strings.Contains(text, part) {
				t.Errorf("the %s holds part of the token: %s", where, text)
			}
		}
	}
}

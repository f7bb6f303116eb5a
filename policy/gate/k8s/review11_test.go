package k8s_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
	"github.com/ztci/ztci/verify"
)

// An image reference is the object's own text, and the API server refuses
// no control character inside one. The gate's error about a reference it
// cannot read quotes it raw; status.message, which the deploying user's
// kubectl prints and a controller copies into an Event for an
// administrator's kubectl describe, must not carry its escape sequences
// or line breaks. They are written escaped, in the audit event too.
func TestReview11DenyMessageEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	const evil = "registry.example/acme/app:v1\x1b]8;;https://evil.example\x07\x1b[2K\r\nimages allowed: all\u202e"
	callers := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		if raw != webhookToken {
			return identity.Identity{}, errors.New("unknown caller")
		}
		return identity.Identity{Issuer: "https://kubernetes.default.svc", Subject: "system:serviceaccount:ztci:admission"}, nil
	})
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	provenance, err := verify.New(trust, verify.Expectation{
		Signer:        verify.Identity{SAN: "https://ci.example/builder", Issuer: "https://ci.example"},
		PredicateType: attest.PredicateSLSAProvenanceV1,
	})
	if err != nil {
		t.Fatal(err)
	}
	allow := policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) {
		return policy.Decision{Allowed: true, PolicyAllowed: true, Revision: "r1"}, nil
	})
	g, err := gate.New(callers, gate.Verifiers{attest.PredicateSLSAProvenanceV1: provenance}, allow, &memSink{},
		gate.WithRegistries("registry.example"))
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	// The Pod's one image (8 containers) is the only one decided: the gate
	// refuses it before any registry is asked.
	req := request(t, "pod-8-containers-one-image.json")
	quoted, _ := json.Marshal(evil)
	req.Object = runtime.RawExtension{Raw: []byte(strings.ReplaceAll(string(req.Object.Raw),
		`"registry.example/acme/app:v1"`, string(quoted)))}
	resp := newWebhook(t, g, sink).Review(t.Context(), req)
	if resp.Allowed || resp.Result == nil {
		t.Fatalf("allowed: %+v", resp)
	}
	msg := resp.Result.Message
	if i := strings.IndexFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }); i >= 0 {
		t.Fatalf("status.message carries %q at byte %d: %q", msg[i:i+1], i, msg)
	}
	if !strings.Contains(msg, `app:v1\x1b]8;;https://evil.example\a\x1b[2K\r\nimages allowed: all\u202e`) {
		t.Errorf("status.message no longer names the unreadable reference, escaped: %q", msg)
	}
	// The gate quotes a reference it cannot read in its error (review 16:
	// its raw echo forged lines in every text log of the error), so the
	// audit event keeps the reference quoted: escaped, not lost.
	if evs := sink.all(); len(evs) != 1 || !strings.Contains(evs[0].Attributes["message"], strconv.Quote(evil)) {
		t.Errorf("the audit event no longer names the reference: %+v", evs)
	}
}

// Images is exported for vendors writing their own admission handler. A
// CREATE or UPDATE always carries the object it would store; one without
// has nothing to read images from, which must be an error (as Review
// denies it), never "no images", which such a handler would admit.
func TestReview11ImagesOfARequestWithoutObject(t *testing.T) {
	t.Parallel()
	for _, op := range []admissionv1.Operation{admissionv1.Create, admissionv1.Update, "PATCH", ""} {
		req := &admissionv1.AdmissionRequest{UID: "u", Kind: k8s.KindDeployment, Operation: op}
		if imgs, err := k8s.Images(req); !errors.Is(err, k8s.ErrBadObject) || len(imgs) != 0 {
			t.Errorf("%q without an object: images %+v, err %v; want ErrBadObject", op, imgs, err)
		}
	}
	for _, op := range []admissionv1.Operation{admissionv1.Delete, admissionv1.Connect} {
		req := &admissionv1.AdmissionRequest{UID: "u", Kind: k8s.KindPod, Operation: op}
		if imgs, err := k8s.Images(req); err != nil || len(imgs) != 0 {
			t.Errorf("%s: images %+v, err %v; want none", op, imgs, err)
		}
	}
}

package attach_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// onlyEvent returns the recorder's single event.
func onlyEvent(t *testing.T, rec *audittest.Recorder) audit.Event {
	t.Helper()
	evs := rec.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1: %+v", len(evs), evs)
	}
	return evs[0]
}

// TestAuditSuccess: on every registry, the event names the reference, the
// subject it resolved to, the artifact and bundle digests and how the
// artifact is listed.
func TestAuditSuccess(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	for _, kind := range ocitest.AllKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			tag := reg.Ref(t, "app:v1")
			img := ocitest.PushImage(t, tag, 1)
			rec := audittest.NewRecorder()
			att, err := attach.Bundle(t.Context(), tag, alice.Bundle(t, img.DigestStr()),
				opts(nil, attach.WithAudit(rec, "spiffe://example.org/ci/attacher"))...)
			if err != nil {
				t.Fatal(err)
			}
			ev := onlyEvent(t, rec)
			want := map[string][2]string{
				"source":         {ev.Source, "ztci/attest/attach"},
				"action":         {ev.Action, "attest.attach"},
				"outcome":        {string(ev.Outcome), string(audit.OutcomeSuccess)},
				"actor":          {ev.Actor.ID, "spiffe://example.org/ci/attacher"},
				"resource":       {ev.Resource, att.Subject.String()},
				"ref":            {ev.Attributes["ref"], tag.String()},
				"subject":        {ev.Attributes["subject"], att.Subject.DigestStr()},
				"artifact":       {ev.Attributes["artifact"], att.Artifact.DigestStr()},
				"bundle":         {ev.Attributes["bundle"], att.Bundle.String()},
				"media_type":     {ev.Attributes["media_type"], "application/vnd.dev.sigstore.bundle.v0.3+json"},
				"content":        {ev.Attributes["content"], "dsse-envelope"},
				"predicate_type": {ev.Attributes["predicate_type"], ocitest.ProvenanceType},
				"path":           {ev.Attributes["path"], string(kind.WantPath())},
				"reason":         {ev.Reason, ""},
			}
			if kind.WantPath() == attach.PathReferrersTag {
				want["tag"] = [2]string{ev.Attributes["tag"], "sha256-" + ocitest.HexOf(att.Subject)}
			} else {
				want["tag"] = [2]string{ev.Attributes["tag"], ""}
			}
			for k, v := range want {
				if v[0] != v[1] {
					t.Errorf("%s = %q, want %q", k, v[0], v[1])
				}
			}
		})
	}
}

// refusePuts makes the registry refuse every manifest PUT with 500 once
// on is set.
func refusePuts(on *atomic.Bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if on.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
				http.Error(w, "storage full", http.StatusInternalServerError)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestAuditFailure: a failed attach is audited as a failure with its
// reason and what was done before it failed.
func TestAuditFailure(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	good := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	goodImg := ocitest.PushImage(t, good.Ref(t, "app:v1"), 1)
	var refuse atomic.Bool
	full := ocitest.Start(t, ocitest.GGCRReferrers, refusePuts(&refuse))
	fullImg := ocitest.PushImage(t, full.Ref(t, "app:v1"), 2)
	refuse.Store(true)
	tests := []struct {
		name        string
		run         func(t *testing.T, o []attach.Option) error
		want        error
		subject     string // "" when it never resolved
		noArtifact  bool
		resourceRef bool // the event's resource is the reference, not a digest
	}{
		{name: "not a bundle", run: func(t *testing.T, o []attach.Option) error {
			_, err := attach.Bundle(t.Context(), goodImg, []byte(`{"mediaType":"text/plain"}`), o...)
			return err
		}, want: attach.ErrConfig, noArtifact: true, resourceRef: true},
		{name: "no such image", run: func(t *testing.T, o []attach.Option) error {
			_, err := attach.Bundle(t.Context(), good.Ref(t, "missing:v1"), alice.Bundle(t, goodImg.DigestStr()), o...)
			return err
		}, want: attach.ErrNotFound, noArtifact: true, resourceRef: true},
		{name: "manifest refused", run: func(t *testing.T, o []attach.Option) error {
			_, err := attach.Bundle(t.Context(), full.Ref(t, "app:v1"), alice.Bundle(t, fullImg.DigestStr()), o...)
			return err
		}, want: attach.ErrRegistry, subject: fullImg.DigestStr(), noArtifact: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := audittest.NewRecorder()
			err := tt.run(t, opts(nil, attach.WithAudit(rec, "attacher")))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			ev := onlyEvent(t, rec)
			if ev.Outcome != audit.OutcomeFailure || ev.Reason == "" || ev.Attributes["path"] != "" {
				t.Errorf("event = %+v, want a failure with its reason and no path", ev)
			}
			if ev.Attributes["subject"] != tt.subject {
				t.Errorf("subject = %q, want %q", ev.Attributes["subject"], tt.subject)
			}
			if tt.noArtifact && ev.Attributes["artifact"] != "" {
				t.Errorf("artifact = %q on a failed push", ev.Attributes["artifact"])
			}
			if tt.resourceRef != (ev.Resource == ev.Attributes["ref"]) {
				t.Errorf("resource = %q, ref %q", ev.Resource, ev.Attributes["ref"])
			}
		})
	}
}

// TestAuditSinkFails: an attach whose event the sink refuses fails closed
// with ErrUnaudited and returns no attachment, whether the attach itself
// succeeded or failed.
func TestAuditSinkFails(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	rec := audittest.NewRecorder()
	rec.Fail(errors.New("log offline"))
	o := opts(nil, attach.WithAudit(rec, "attacher"))
	att, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), o...)
	if !errors.Is(err, attach.ErrUnaudited) || !errors.Is(err, audit.ErrSink) || att != nil {
		t.Fatalf("got %v, %v; want ErrUnaudited and no attachment", att, err)
	}
	_, err = attach.Bundle(t.Context(), reg.Ref(t, "missing:v1"), alice.Bundle(t, img.DigestStr()), o...)
	if !errors.Is(err, attach.ErrUnaudited) || !errors.Is(err, attach.ErrNotFound) {
		t.Fatalf("err = %v, want ErrUnaudited and ErrNotFound", err)
	}
	if n := len(rec.Events()); n != 0 {
		t.Errorf("%d events recorded by a failing sink", n)
	}
}

const canary = "CANARY-attach-s3cr3t-91c2"

// requireBasic puts HTTP basic auth in front of the in-process registry.
func requireBasic(user, pass string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

type staticKeychain struct{ user, pass string }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}

// TestAuditCarriesNoCredentials: neither the event of an authenticated
// attach nor that of one with a wrong password contains the password.
func TestAuditCarriesNoCredentials(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, requireBasic("ci", canary))
	tag := reg.Ref(t, "app:v1")
	good := staticKeychain{"ci", canary}
	img := ocitest.RandomImage(t, 1)
	if err := remote.Write(tag, img, remote.WithAuthFromKeychain(good)); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	rec := audittest.NewRecorder()
	if _, err := attach.Bundle(t.Context(), tag, alice.Bundle(t, d.String()), attach.WithKeychain(good), attach.WithAudit(rec, "attacher")); err != nil {
		t.Fatal(err)
	}
	_, aerr := attach.Bundle(t.Context(), tag, alice.Bundle(t, d.String()), attach.WithKeychain(staticKeychain{"ci", canary + "-wrong"}), attach.WithAudit(rec, "attacher"))
	if !errors.Is(aerr, attach.ErrDenied) {
		t.Fatalf("wrong password: err = %v, want ErrDenied", aerr)
	}
	evs := rec.Events()
	if len(evs) != 2 || evs[0].Outcome != audit.OutcomeSuccess || evs[1].Outcome != audit.OutcomeFailure {
		t.Fatalf("events = %+v, want a success and a failure", evs)
	}
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), canary) || strings.Contains(aerr.Error(), canary) {
		t.Errorf("the password reached an event or error: %s", b)
	}
}

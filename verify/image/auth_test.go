package image_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/verify/image"
)

const canary = "CANARY-s3cr3t-7f1d"

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

// TestKeychainPassesThrough: credentials come from the caller's keychain,
// ggcr does the handshake, and the secret never reaches errors or logs.
func TestKeychainPassesThrough(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, requireBasic("ci", canary))
	tag := reg.Ref(t, "app:v1")
	good := staticKeychain{"ci", canary}
	img := pushImageWith(t, tag, remote.WithAuthFromKeychain(good))

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := attach.Bundle(t.Context(), tag, alice.Bundle(t, img.DigestStr()),
		attach.WithKeychain(good), attach.WithLogger(log)); err != nil {
		t.Fatal(err)
	}
	v, _ := image.NewVerifier(newTestVerifier(alice), image.WithKeychain(good), image.WithLogger(log))
	if res, err := v.VerifyImage(t.Context(), tag); err != nil || !res.Verified {
		t.Fatalf("with credentials: %v %+v", err, res)
	}

	bad := staticKeychain{"ci", canary + "-wrong"}
	v, _ = image.NewVerifier(newTestVerifier(alice), image.WithKeychain(bad), image.WithLogger(log))
	_, err := v.VerifyImage(t.Context(), tag)
	if !errors.Is(err, image.ErrDenied) {
		t.Fatalf("wrong credentials: err = %v, want ErrDenied", err)
	}
	_, aerr := attach.Bundle(t.Context(), tag, alice.Bundle(t, img.DigestStr()), attach.WithKeychain(bad), attach.WithLogger(log))
	if aerr == nil {
		t.Fatal("Attach with wrong credentials succeeded")
	}
	for what, s := range map[string]string{"verify error": err.Error(), "attach error": aerr.Error(), "logs": logs.String()} {
		if strings.Contains(s, canary) {
			t.Errorf("%s contains the password: %s", what, s)
		}
	}
}

func pushImageWith(t testing.TB, ref name.Reference, o ...remote.Option) name.Digest {
	t.Helper()
	img := ocitest.RandomImage(t, 1)
	if err := remote.Write(ref, img, o...); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return ref.Context().Digest(d.String())
}

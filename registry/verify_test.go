package registry_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/registry"
)

func TestAttachThenVerify(t *testing.T) {
	t.Parallel()
	alice := newSigner("alice")
	for _, kind := range allKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := startRegistry(t, kind, nil)
			tag := reg.ref(t, "app:v1")
			img := pushImage(t, tag, 1)

			att, err := registry.Attach(t.Context(), tag, alice.bundle(t, img.DigestStr()), opts(nil)...)
			if err != nil {
				t.Fatalf("Attach: %v", err)
			}
			if att.Subject != img {
				t.Errorf("Attach pinned %s, want %s", att.Subject, img)
			}
			if att.Path != kind.wantPath() {
				t.Errorf("Attach path = %s, want %s", att.Path, kind.wantPath())
			}

			v, err := registry.NewVerifier(newTestVerifier(alice), opts(nil)...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyImage(t.Context(), tag)
			if err != nil {
				t.Fatalf("VerifyImage: %v", err)
			}
			if !res.Verified || res.Err() != nil {
				t.Fatalf("not verified: %v %+v", res.Err(), res.Targets)
			}
			if res.Digest != img {
				t.Errorf("pinned %s, want %s", res.Digest, img)
			}
			tg := res.Targets[0]
			if tg.Path != kind.wantPath() {
				t.Errorf("discovery path = %s, want %s", tg.Path, kind.wantPath())
			}
			if len(tg.Attestations) != 1 || tg.Attestations[0].Artifact.String() != att.Artifact.DigestStr() ||
				tg.Attestations[0].Signer != "alice" || tg.Attestations[0].PredicateType != provenanceType {
				t.Errorf("attestations = %+v", tg.Attestations)
			}

			// Attaching the same bundle again is idempotent on the tag schema.
			if _, err := registry.Attach(t.Context(), img, alice.bundle(t, img.DigestStr()), opts(nil)...); err != nil {
				t.Fatalf("second Attach: %v", err)
			}
		})
	}
}

func TestUntrustedOrWrongSubjectIsNotVerified(t *testing.T) {
	t.Parallel()
	alice, mallory := newSigner("alice"), newSigner("mallory")
	for _, kind := range allKinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := startRegistry(t, kind, nil)
			img := pushImage(t, reg.ref(t, "app:v1"), 1)
			other := pushImage(t, reg.ref(t, "app:other"), 2)
			// mallory signs for the image; alice signs a statement about another image.
			for _, b := range [][]byte{mallory.bundle(t, img.DigestStr()), alice.bundle(t, other.DigestStr())} {
				if _, err := registry.Attach(t.Context(), img, b, opts(nil)...); err != nil {
					t.Fatal(err)
				}
			}
			v, _ := registry.NewVerifier(newTestVerifier(alice), opts(nil)...)
			res, err := v.VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !errors.Is(res.Err(), registry.ErrNotVerified) {
				t.Fatalf("verified with only untrusted or misdirected attestations: %+v", res)
			}
			var te *registry.ThresholdError
			if !errors.As(res.Err(), &te) || te.Want != 1 || te.Got != 0 {
				t.Errorf("ThresholdError = %+v", te)
			}
			for _, a := range res.Targets[0].Attestations {
				if !errors.Is(a.Err, registry.ErrBundleRejected) {
					t.Errorf("attestation %s: err = %v, want ErrBundleRejected", a.Artifact, a.Err)
				}
			}
		})
	}
}

func TestThresholdCountsDistinctSigners(t *testing.T) {
	t.Parallel()
	alice, bob, carol := newSigner("alice"), newSigner("bob"), newSigner("carol")
	reg := startRegistry(t, ggcrReferrers, nil)
	img := pushImage(t, reg.ref(t, "app:v1"), 1)
	// alice twice (different bundles: statements differ by signature only
	// if signed twice, so attach to the index path via a re-sign), bob once.
	for _, b := range [][]byte{alice.bundle(t, img.DigestStr()), bob.bundle(t, img.DigestStr())} {
		if _, err := registry.Attach(t.Context(), img, b, opts(nil)...); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		trusted []signer
		k       int
		want    bool
		signers int
	}{
		{name: "1-of-2", trusted: []signer{alice, bob}, k: 1, want: true, signers: 2},
		{name: "2-of-2", trusted: []signer{alice, bob}, k: 2, want: true, signers: 2},
		{name: "3 required, 2 distinct", trusted: []signer{alice, bob, carol}, k: 3, want: false, signers: 2},
		{name: "2 required, 1 trusted", trusted: []signer{alice, carol}, k: 2, want: false, signers: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := registry.NewVerifier(newTestVerifier(tt.trusted...), opts(nil, registry.WithThreshold(tt.k))...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyImage(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != tt.want || len(res.Targets[0].Signers) != tt.signers {
				t.Errorf("verified=%v signers=%v, want %v and %d", res.Verified, res.Targets[0].Signers, tt.want, tt.signers)
			}
		})
	}
}

func TestSameSignerTwiceIsOneSigner(t *testing.T) {
	t.Parallel()
	alice := newSigner("alice")
	reg := startRegistry(t, ggcrReferrers, nil)
	img := pushImage(t, reg.ref(t, "app:v1"), 1)
	// Two different artifacts (different creation time) with alice's bundle.
	for i := range 2 {
		o := opts(nil, registry.WithClock(fixedClock(int64(i))))
		if _, err := registry.Attach(t.Context(), img, alice.bundle(t, img.DigestStr()), o...); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := registry.NewVerifier(newTestVerifier(alice), opts(nil, registry.WithThreshold(2))...)
	res, err := v.VerifyImage(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Targets[0].Attestations); n != 2 {
		t.Fatalf("%d attestations, want 2", n)
	}
	if res.Verified {
		t.Fatalf("two attestations by one signer met a threshold of 2")
	}
}

package ocibundle_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// servedAs is a transport for a replica the registry answers for tag as
// it answers for other (a registry replica or cache a step behind or
// ahead, a tag moved between two replicas' resolves): the Source follows
// tag, so its floor is tag's.
func servedAs(ref name.Reference, other name.Tag) ocibundle.Option {
	tag := ref.(name.Tag)
	from := "/v2/" + tag.RepositoryStr() + "/manifests/" + tag.TagStr()
	to := "/v2/" + other.RepositoryStr() + "/manifests/" + other.TagStr()
	return ocibundle.WithTransport(roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == from {
			r = r.Clone(r.Context())
			r.URL.Path = to
		}
		return remote.DefaultTransport.RoundTrip(r)
	}))
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestReview28FloorRef: a rollback floor named a signing time and a
// digest but not the reference it orders, so a store shared or reused by
// mistake between two references (one floor file for a staging and a
// production Source, a key reused) compared the bundles of one with the
// floor of the other: production refused its own bundles as "rollbacks"
// of staging's newer ones, or, the other way round, staging's floor was
// overwritten by production's and no longer protected it. Now the floor
// records the reference (Floor.Ref), and a floor of another reference is
// refused (ErrFloorStore), by the Source and by FileFloorStore, which
// does not overwrite it.
func TestReview28FloorRef(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	staging := l.tag.Context().Tag("staging")
	prod := l.tag.Context().Tag("prod")
	pd := pushBundle(t, prod, allowAll, "prod-1")
	sign(t, l.ss.certSigner(t, publisher), pd, pd)
	sd := pushBundle(t, staging, denyAll, "staging-1")
	sign(t, l.ss.certSigner(t, publisher), sd, sd)

	for name, store := range floorStores(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := l.ss.source(t, staging, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			if f, err := store.ReadFloor(t.Context()); err != nil || f.Ref != staging.Name() {
				t.Fatalf("floor %+v %v, want one of %s", f, err, staging.Name())
			}
			_, err := l.ss.source(t, prod, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context())
			if !errors.Is(err, ocibundle.ErrFloorStore) || !errors.Is(err, policy.ErrLoad) || errors.Is(err, ocibundle.ErrRollback) {
				t.Fatalf("prod on staging's floor: got %v, want ErrFloorStore", err)
			}
			if f, err := store.ReadFloor(t.Context()); err != nil || f.Ref != staging.Name() || f.Digest != sd.DigestStr() {
				t.Errorf("staging's floor after prod's load: %+v %v", f, err)
			}
		})
	}

	// FileFloorStore does not overwrite another reference's floor, even
	// with a later one.
	t.Run("file raise", func(t *testing.T) {
		s, err := ocibundle.NewFileFloorStore(filepath.Join(t.TempDir(), "floor.json"))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
		a := Floor{SignedAt: at, Digest: "sha256:" + strings.Repeat("a", 64), Ref: staging.Name()}
		b := Floor{SignedAt: at.Add(time.Hour), Digest: "sha256:" + strings.Repeat("b", 64), Ref: prod.Name()}
		if _, err := s.RaiseFloor(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RaiseFloor(t.Context(), b); err == nil {
			t.Error("raise with another reference's floor: no error")
		}
		if f, err := s.ReadFloor(t.Context()); err != nil || f != a {
			t.Errorf("floor %+v %v, want %+v", f, err, a)
		}
	})
}

// TestReview28FloorRefLegacy: a floor recorded before Ref existed (no ref
// member) is taken for the Source's reference, the same bundle reloads
// after a restart, and the next raise records the reference; a store that
// does not keep Ref is refused rather than left unable to tell two
// references apart.
func TestReview28FloorRefLegacy(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	d := l.publish(t, allowAll, "r1")
	dig, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}

	// The floor file an earlier version wrote, then a restart.
	path := filepath.Join(t.TempDir(), "floor.json")
	file, err := ocibundle.NewFileFloorStore(path)
	if err != nil {
		t.Fatal(err)
	}
	first := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(file))
	if _, err := first.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	f, err := file.ReadFloor(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := json.Marshal(struct {
		SignedAt time.Time `json:"signedAt"`
		Digest   string    `json:"digest"`
	}{f.SignedAt, dig.String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, legacy, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(file)).Load(t.Context()); err != nil {
		t.Fatalf("restart on a floor without ref: %v", err)
	}
	if f, err := file.ReadFloor(t.Context()); err != nil || f.Ref != l.tag.Name() {
		t.Errorf("floor after the restart: %+v %v, want ref %s", f, err, l.tag.Name())
	}

	// A store that drops Ref.
	drops := &scriptedFloors{raise: func(f Floor) Floor { f.Ref = ""; return f }}
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(drops)).Load(t.Context()); !errors.Is(err, ocibundle.ErrFloorStore) {
		t.Errorf("store that drops Ref: got %v, want ErrFloorStore", err)
	}
}

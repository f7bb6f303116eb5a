package x509ca

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func newState(t *testing.T) State {
	t.Helper()
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	root, err := NewRoot(key, pkix.Name{CommonName: "test"}, time.Now(), time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	return State{Key: key, Chain: []*x509.Certificate{root}}
}

func testStore(t *testing.T) Store {
	return Store{Dir: filepath.Join(t.TempDir(), "ca"), KeyFile: "k.key", ChainFile: "c.pem", RetiredFile: "r.json"}
}

func TestStoreRoundTrip(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	if _, found, err := s.Load(); found || err != nil {
		t.Fatalf("Load of an empty dir = found %v, %v; want not found, no error", found, err)
	}
	old, cur := newState(t), newState(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cur.Retired = []Retired{{Chain: old.Chain, Start: start, End: start.Add(time.Hour)}}
	if err := s.Save(cur); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Load()
	if err != nil || !found {
		t.Fatalf("Load = found %v, %v", found, err)
	}
	if !got.Chain[0].Equal(cur.Chain[0]) || !publicKeysEqual(got.Key.Public(), cur.Key.Public()) {
		t.Fatal("loaded key or chain differs from the saved one")
	}
	if len(got.Retired) != 1 || !got.Retired[0].Chain[0].Equal(old.Chain[0]) || !got.Retired[0].End.Equal(start.Add(time.Hour)) {
		t.Fatalf("retired = %+v", got.Retired)
	}
	if fi, err := os.Stat(filepath.Join(s.Dir, s.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestStoreRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, s Store)
		want  error // nil: any error
	}{
		{"chain of another key", func(t *testing.T, s Store) {
			if err := WriteCerts(filepath.Join(s.Dir, s.ChainFile), newState(t).Chain...); err != nil {
				t.Fatal(err)
			}
		}, ErrKeyMismatch},
		{"key without chain", func(t *testing.T, s Store) {
			if err := os.Remove(filepath.Join(s.Dir, s.ChainFile)); err != nil {
				t.Fatal(err)
			}
		}, os.ErrNotExist},
		{"readable key", func(t *testing.T, s Store) {
			if err := os.Chmod(filepath.Join(s.Dir, s.KeyFile), 0o644); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"retired entry with both members", func(t *testing.T, s Store) {
			pem := string(EncodeCerts(newState(t).Chain...))
			b := `[{"chain":` + quote(pem) + `,"cert":` + quote(pem) + `,"start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z"}]`
			if err := WriteFile(filepath.Join(s.Dir, s.RetiredFile), []byte(b)); err != nil {
				t.Fatal(err)
			}
		}, ErrBadPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testStore(t)
			if err := s.Save(newState(t)); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, s)
			_, found, err := s.Load()
			if err == nil || found || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Load = found %v, %v; want an error matching %v", found, err, tt.want)
			}
		})
	}
}

// TestStoreReadsLegacyCert: attest/ca wrote retired roots under "cert"
// before it shared this store; those directories still load.
func TestStoreReadsLegacyCert(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	if err := s.Save(newState(t)); err != nil {
		t.Fatal(err)
	}
	old := newState(t)
	b := `[{"cert":` + quote(string(EncodeCerts(old.Chain...))) + `,"start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z"}]`
	if err := WriteFile(filepath.Join(s.Dir, s.RetiredFile), []byte(b)); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Load()
	if err != nil || len(got.Retired) != 1 || !got.Retired[0].Chain[0].Equal(old.Chain[0]) {
		t.Fatalf("Load = %+v, %v", got.Retired, err)
	}
}

func TestSaveRefusesMismatch(t *testing.T) {
	t.Parallel()
	st := newState(t)
	st.Chain = newState(t).Chain
	if err := testStore(t).Save(st); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Save = %v, want ErrKeyMismatch", err)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

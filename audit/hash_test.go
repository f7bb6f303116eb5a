package audit

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
)

func TestHashMatchesRFC6962(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 200 {
		leaf := make([]byte, n*7)
		for i := range leaf {
			leaf[i] = byte(rng.Uint32())
		}
		p := append([]byte{'x'}, leaf...)
		if got, want := hashLeafPrefixed(p), rfc6962.DefaultHasher.HashLeaf(leaf); !bytes.Equal(got, want) {
			t.Fatalf("leaf %d: got %x, want %x", n, got, want)
		}
		if p[0] != 'x' {
			t.Fatal("scratch byte not restored")
		}
		l, r := rfc6962.DefaultHasher.HashLeaf(leaf), rfc6962.DefaultHasher.HashLeaf(p)
		if got, want := hashChildren(l, r), rfc6962.DefaultHasher.HashChildren(l, r); !bytes.Equal(got, want) {
			t.Fatalf("children %d: got %x, want %x", n, got, want)
		}
	}
}

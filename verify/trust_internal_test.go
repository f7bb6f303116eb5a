package verify

import (
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// The public-good Fulcio CA (root → intermediate) gets its intermediate as
// an anchor; the 2021 CA without intermediates gets none.
func TestPublicGoodAnchors(t *testing.T) {
	t.Parallel()
	tm, err := PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := NewTrust(tm)
	if err != nil {
		t.Fatal(err)
	}
	withAnchor := 0
	for i, ca := range trust.FulcioCertificateAuthorities() {
		m, ok := ca.(*memoCA)
		if !ok {
			t.Fatalf("CA %d not memoized: %T", i, ca)
		}
		fca := tm.FulcioCertificateAuthorities()[i].(*root.FulcioCertificateAuthority)
		if len(m.anchors) > len(fca.Intermediates) {
			t.Fatalf("CA %d: %d anchors for %d intermediates", i, len(m.anchors), len(fca.Intermediates))
		}
		if len(m.anchors) > 0 {
			withAnchor++
			if got := m.anchors[0].upper[len(m.anchors[0].upper)-1]; !got.Equal(fca.Root) {
				t.Fatalf("anchor chain does not end at the root")
			}
		}
	}
	if withAnchor == 0 {
		t.Fatal("no public-good CA got an anchor")
	}
}

// The public-good TSA pins its leaf: it is anchored.
func TestPublicGoodTSAAnchored(t *testing.T) {
	t.Parallel()
	tm, err := PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := NewTrust(tm)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range trust.TimestampingAuthorities() {
		if m, ok := a.(*memoTSA); ok {
			if _, ok := m.tsa.(*anchoredTSA); ok {
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no public-good TSA anchored")
	}
}

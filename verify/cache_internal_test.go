package verify

import (
	"crypto/sha256"
	"testing"
)

func TestResultCacheBoundedLRU(t *testing.T) {
	t.Parallel()
	c := newResultCache(2)
	art := resolved{alg: "sha256", digest: []byte{1, 2, 3}}
	b := func(s string) []byte { return []byte(s) }
	ra, rb, rc := &Result{Artifact: "a"}, &Result{Artifact: "b"}, &Result{Artifact: "c"}
	c.put(art, b("a"), ra)
	c.put(art, b("b"), rb)
	if _, ok := c.get(art, b("a")); !ok { // a is now most recent
		t.Fatal("a missing")
	}
	c.put(art, b("c"), rc) // evicts b
	if c.len() != 2 {
		t.Fatalf("len = %d, want 2", c.len())
	}
	if _, ok := c.get(art, b("b")); ok {
		t.Fatal("b should have been evicted")
	}
	if r, ok := c.get(art, b("a")); !ok || r != ra {
		t.Fatal("a lost")
	}
	if _, ok := c.get(resolved{alg: "sha256", digest: []byte{1, 2, 4}}, b("a")); ok {
		t.Fatal("hit for another artifact")
	}
	if _, ok := c.get(resolved{alg: "sha512", digest: []byte{1, 2, 3}}, b("a")); ok {
		t.Fatal("hit for another digest algorithm")
	}
	c.put(art, make([]byte, maxCachedBundle+1), rc)
	if c.len() != 2 {
		t.Fatal("oversized bundle cached")
	}
}

func TestChainMemoBounded(t *testing.T) {
	t.Parallel()
	m := newChainMemo(3)
	for i := range 10 {
		m.put(sha256.Sum256([]byte{byte(i)}), nil)
		if m.len() > 3 {
			t.Fatalf("memo holds %d entries, bound 3", m.len())
		}
	}
}

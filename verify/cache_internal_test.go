package verify

import (
	"crypto/sha256"
	"testing"
)

func TestResultCacheBoundedLRU(t *testing.T) {
	t.Parallel()
	c := newResultCache(2)
	k := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	ra, rb, rc := &Result{Artifact: "a"}, &Result{Artifact: "b"}, &Result{Artifact: "c"}
	c.put(k("a"), ra)
	c.put(k("b"), rb)
	if _, ok := c.get(k("a")); !ok { // a is now most recent
		t.Fatal("a missing")
	}
	c.put(k("c"), rc) // evicts b
	if c.len() != 2 {
		t.Fatalf("len = %d, want 2", c.len())
	}
	if _, ok := c.get(k("b")); ok {
		t.Fatal("b should have been evicted")
	}
	if r, ok := c.get(k("a")); !ok || r != ra {
		t.Fatal("a lost")
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

// Package inventorytest is the conformance suite of [inventory.Store]: a
// vendor with its own store (another database) runs [Run] against it, as
// ztci runs it against the in-memory, bbolt and PostgreSQL stores.
//
//	func TestMyStore(t *testing.T) {
//		inventorytest.Run(t, func(t *testing.T) inventory.Store { return newEmptyStore(t) })
//	}
//
// The suite records a fixed set of admissions and checks range and exact
// version queries across ecosystems, unordered and unknown versions
// (listed by range and exact-version queries alike), canonical package
// URLs, pypi names matched as PyPI compares them (PEP 503), each
// package's spelling kept beside its case-folded key (unknown when an
// admission listed two spellings), digest and
// builder queries, refusals of malformed admissions
// (nothing partial stored), duplicate decisions, bad queries, limits and
// concurrent records. [Digest], [T0] and [Admission] build well-formed
// admissions for a store's own tests.
package inventorytest

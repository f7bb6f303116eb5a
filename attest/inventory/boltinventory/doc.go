// Package boltinventory is an [inventory.Store] persisted in one local file
// with bbolt (go.etcd.io/bbolt), for a gate that runs as a single process
// and must keep its index across restarts.
//
//	s, err := boltinventory.Open("/var/lib/gate/inventory.db")
//	defer s.Close()
//	g, err := gate.New(tokens, verifiers, eval, sink, gate.WithInventory(s))
//
// # Layout
//
// Nine buckets: admissions by decision id (binary, with their signers),
// their package lists (binary), their policy inputs (JSON), and six
// indexes whose keys are NUL-separated and carry no value — by package
// (key NUL decision NUL version), by digest, by builder, by signer SAN, by
// key id and by policy revision. A file of the earlier format (no signers,
// no policy inputs) opens as is; its revision index is built on the first
// Open. A package query seeks to the package's prefix and reads only its
// keys; the version criteria ([inventory.Matcher]) are applied to each
// distinct version once, before any admission is read.
//
// # Security contract
//
//   - Record commits an admission entirely or not at all, fsynced before it
//     returns (bbolt commits; concurrent Records share one commit).
//   - One process holds the file (an exclusive lock); another Open waits
//     [WithLockTimeout] and fails. Any error is wrapped in
//     [inventory.ErrUnavailable] and means "not recorded / no answer".
//   - The file is created 0600. It holds identities and package lists, not
//     secrets; whoever can write it can hide or invent admissions, so keep
//     it with the gate's other state.
package boltinventory

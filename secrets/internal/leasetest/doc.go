// Package leasetest is the contract every lease registry of package secrets
// passes: the in-memory one, natslease on JetStream and pglease on
// PostgreSQL run the same [Run] against a real engine, so that a broker and
// a reaper behave the same whichever engine holds the fleet's leases. It
// also holds the benchmark that compares the three in one run.
//
// The contract: a live owner's leases are never claimed; a lapsed or
// never-heartbeated owner's are; a released lease is never claimed; a
// duplicate lease id and malformed records are refused; a claim is
// exclusive until it expires and then re-claimable, and Complete of a lost
// claim reports [secrets.ErrClaimLost]; eight concurrent claimers take each
// lease once, and eight concurrent reapers revoke each lease exactly once.
package leasetest

// Package pglease is the fleet's lease registry
// ([secrets.LeaseRegistry] and [secrets.LeaseReclaimer]) on PostgreSQL, for
// vendors who already run it: brokers register their leases and heartbeat,
// and a [secrets.Reaper] on any node revokes the leases of a runner whose
// heartbeat lapsed.
//
//	pool, _ := pgxpool.New(ctx, dsn)
//	reg, err := pglease.New(ctx, pool)
//	broker, _ := secrets.New(authz, backend, secrets.WithLeaseRegistry(reg, ownerID, "postgres"))
//	reaper, _ := secrets.NewReaper(reg, map[string]secrets.Revoker{"postgres": backend})
//	go reaper.Run(ctx, time.Second)
//
// # Tables
//
// ztci_leases holds one row per registered lease (lease id as primary key,
// backend name, secret name, job id, identity, owner, expiry, and the
// current claim: claimer, random claim token, claim_until);
// ztci_leases_owners holds each owner's alive_until. New creates both (IF
// NOT EXISTS, under an advisory lock). Tables created beforehand must have
// that shape: New refuses with [ErrConfig] an UNLOGGED or temporary table
// (a crash would forget leases), a column of another type (times must be
// timestamptz: a timestamp without a zone is read in each session's zone,
// so a reaper in a zone ahead of a broker's would see a live heartbeat as
// lapsed), a text column or key index under a non-deterministic collation
// (a case-insensitive owner column would let "Runner-A"'s heartbeat keep a
// dead "runner-a" alive), and a table without a unique index on lease_id
// (owner) alone.
//
// Every statement names the tables with their schema, public unless
// [WithSchema] says otherwise, so a role's search_path cannot give a broker
// and a reaper different tables, nor let a table planted earlier on a
// search_path stand in for the registry; built-in functions, operators and
// types are named with pg_catalog (OPERATOR(pg_catalog.=), not =; = ANY,
// not IN), so that an operator, function or type defined in a schema
// earlier on a session's search_path (public before PostgreSQL 15, or one
// listed ahead of pg_catalog) cannot change what a statement compares;
// New's own catalog checks run with search_path pinned to pg_catalog for
// their transaction. The statements qualify rather than pin search_path in
// each session: that costs no round trip and holds behind a pooler that
// does not keep session settings. New refuses ([ErrConfig]) to start
// when the session's search_path resolves a table name to another
// relation than the registry's: a fleet that ran before the names were
// qualified and kept its tables outside public (say in a schema named
// after its role) must move them or name that schema with [WithSchema]. New also creates an
// index on (registered_at, lease_id), which claims walk in order; on a
// large existing table creating it blocks writes once.
//
// # How a claim works
//
// One statement: UPDATE … WHERE lease_id = ANY (SELECT … WHERE the claim is
// absent or expired AND the owner has no alive_until in the future … FOR
// UPDATE SKIP LOCKED LIMIT n) RETURNING …, which stamps each row with a
// fresh random token and claim_until = now() + ttl. Concurrent reapers skip
// each other's locked rows, and a row claimed by a claim that committed in
// between is re-checked and dropped, so each lease goes to one claim at a
// time; once claim_until passes it can be claimed again. Complete deletes
// the row only if it still carries the claim's token.
//
// The UPDATE runs in a transaction that commits only once every row was
// read, so a Claim that fails before its commit (its context ends, the
// connection breaks) has claimed nothing. When the commit's own answer is
// lost, Claim cannot tell whether it landed: every token of a claim
// starts with a random prefix of that claim, and Claim clears the claim
// of the rows carrying it (in a statement of its own, bounded by
// [WithTimeout] but not by the caller's context) before returning the
// error. Only if that also fails do the rows wait for the claim's TTL. A
// Claim that returned an error can be retried at once. Claim tokens are
// therefore longer than before (a 26-character prefix, a dot, a UUID);
// Complete compares them whole, as before.
//
// # Security contract
//
//   - Fail closed: a statement that fails or does not finish within
//     [WithTimeout] returns an [*UnavailableError] matching
//     [ErrUnavailable] and [secrets.ErrLeaseRegistry]. A broker then hands
//     out nothing; a reaper revokes nothing it did not claim.
//   - Every time is the server's now(): no host's clock is compared with
//     another's.
//   - A lease whose owner's alive_until is in the future is never claimed.
//   - Rows hold no secret value. Claimed rows are validated before use; a
//     row that fails (a NULL or over-long column included) is logged and
//     left claimed, never revoked on a guess. Claim reads each text column
//     cut to one character over [secrets.MaxLeaseField], so a huge row
//     costs the reaper no more than a valid one.
//   - Durability is the database's: an acknowledged registration must
//     survive a failover, or the lease it names is one no reaper sees (its
//     backend's own expiry ends it). Run the registry on a primary whose
//     commits a standby has confirmed (synchronous_commit on, with
//     synchronous_standby_names), not on asynchronous replication. A
//     failover also moves now() to another server's clock: keep the
//     servers' clocks in step, as each owner's alive_until is judged by it.
//
// Access: the fleet's brokers and reapers need SELECT, INSERT, UPDATE and
// DELETE on both tables (and CREATE once, or create them beforehand).
// Whoever can write to them can keep a dead runner's leases alive or have a
// live runner's leases revoked; grant it to no one else.
package pglease

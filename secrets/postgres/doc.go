// Package postgres is a [secrets.Backend] that mints PostgreSQL credentials
// per lease, like Vault's database secrets engine: each lease is a new login
// role with a random password, VALID UNTIL the lease's end, no role
// attributes, a connection limit and only the grants configured for the
// secret's name. Revoking the lease disables the role, terminates its
// sessions, drops its privileges and objects, and drops the role, so the
// handed-out credentials stop working at once.
//
//	be, _ := postgres.New(adminPool, map[string]postgres.Role{
//		"builds-ro": {Grants: []string{"GRANT SELECT ON public.builds TO {{role}}"}},
//	})
//	broker, _ := secrets.New(authz, be, secrets.WithJournal(dir))
//	err := broker.Run(ctx, spec, func(ctx context.Context, job *secrets.Job) error {
//		l, err := job.Lease(ctx, "builds-ro")
//		// log in as l.ID() with the password from l.Value()
//	})
//
// # Security contract
//
// Role names are chosen by the broker ("ztci_" and 24 hex digits); Revoke
// refuses any other name ([ErrBadRoleName]), so a tampered lease record
// cannot make it drop someone else's role. Grant statements come from the
// operator's configuration and are the only privileges granted to a role;
// like every role, it also has what PUBLIC has in each database of the
// cluster (by default CONNECT and TEMPORARY, and before PostgreSQL 15 CREATE
// on the public schema): revoke those from PUBLIC where jobs must not reach.
// Creation is one transaction: a failure leaves no role behind. The password
// never reaches the server or a statement: CREATE ROLE carries its
// SCRAM-SHA-256 verifier, so neither the server's statement log (which
// writes a failed statement whole by default) nor pg_stat_activity nor a pgx
// tracer on the admin pool sees anything that logs in. Revoke is idempotent,
// and it commits NOLOGIN before anything else: a role it cannot drop (one
// that left objects or default privileges in another database the role could
// connect to, which DROP OWNED in the pool's database does not reach) can no
// longer log in, its sessions are ended, and Revoke reports the failure.
// Even if every revocation fails, the server refuses the password after
// VALID UNTIL (sessions already open are not ended by VALID UNTIL). VALID
// UNTIL is computed by the server, the lease's TTL past its own clock
// (now()), at creation and at every renewal: a runner whose clock runs
// ahead of the database's cannot make a role outlive its lease. Issue and
// Renew refuse a TTL that is not positive ([ErrBadTTL]) rather than read it
// as [WithMaxTTL].
//
// Revoke ends the role's sessions in three sweeps: before and after DROP
// OWNED, and after DROP ROLE by the role's oid. A connection that passed
// the LOGIN check just before NOLOGIN committed appears in pg_stat_activity
// only when its startup ends, and could escape a single sweep and outlive
// the role. The first two sweeps must end every session they find (each
// gets 5 s to exit): if one is left, Revoke fails with
// [ErrSessionsSurvive] and does not drop the role (it stays NOLOGIN), so
// every retry sweeps again, and the role is dropped once its sessions are
// gone. The last sweep needs pg_signal_backend (or superuser), since the
// admin's membership went with the role: if it finds a session it cannot
// end, Revoke fails with [ErrSessionsSurvive], and the Backend remembers
// the role's oid so that a retried Revoke of that lease keeps failing
// until no session of it is left (a retry by another process, which does
// not know the oid, finds no role and succeeds: grant the admin
// pg_signal_backend to have such sessions ended). A connection still
// starting up at the last sweep is not seen by any query and is not ended;
// it has only what PUBLIC has, DROP OWNED having revoked the role's
// grants.
//
// Every function, operator and type in the statements the backend writes
// is named with pg_catalog (OPERATOR(pg_catalog.=), pg_catalog.now()):
// they run as the admin, and a job whose role may create objects in a
// schema on the admin's search_path (public before PostgreSQL 15) could
// otherwise define, say, a pg_terminate_backend(integer, integer) that
// matches a call more closely than pg_catalog's and have the admin run
// it. The grant statements of a [Role] are the operator's and run as
// written: name their objects with a schema, and revoke CREATE on public
// from PUBLIC on servers older than 15.
//
// The admin pool's user needs CREATEROLE, not superuser. To end a revoked
// role's sessions, Revoke first makes the admin a member of the role (in the
// transaction that drops it): pg_terminate_backend needs the privileges of
// the session's role, which a role's creator does not otherwise have, and
// so does DROP OWNED. The admin must therefore inherit its memberships
// (INHERIT, the default); otherwise Revoke fails ([ErrSessionsSurvive]
// while a session is open, the DROP OWNED refusal after), keeping the role
// NOLOGIN, rather than leave the job's open connections working
// unnoticed. Membership in pg_signal_backend in addition lets the last
// sweep end sessions that appear after the drop.
package postgres

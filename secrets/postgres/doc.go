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
// operator's configuration and are the only privileges a role gets. Creation
// is one transaction: a failure leaves no role behind. Revoke is idempotent.
// Even if every revocation fails, the server refuses the password after
// VALID UNTIL.
package postgres

// Package secrets gives CI jobs just-in-time, identity-bound, job-scoped
// credentials, and masks them in log output.
//
// A [Broker] hands out [Lease]s: a job, known by its verified
// [identity.Identity], asks for a named secret; the broker checks the kill
// switch ([audit.CompromiseChecker]) and an [Authorizer] (the seam where a
// policy engine plugs in; secrets links none), asks a [Backend] to fetch or
// mint the secret, records the lease durably, registers the value with a
// [Masker], audits, and returns the lease: a self-redacting [Value], a TTL,
// renewal, and a revoke handle. Leases belong to a [Job], and everything a
// job holds is revoked when it ends — [Job.End] on success or failure, the
// cancellation or deadline of the job's context, or, after a crash,
// [Broker.Recover] from the durable record ([WithJournal]).
//
// Backends: [Static], [Env] and [Dir] for development; [BackendFunc] for a
// vendor's own (cloud STS); the subpackages postgres (per-lease database
// roles) and vault (Vault/OpenBao through the official client).
//
// A [Redactor] masks registered values — raw and encoded (base64 at each
// offset, percent-encoding, JSON/Go escaping, shell quoting), split across
// writes or spread over lines — in a stream, through [RedactWriter].
//
//	red := secrets.NewRedactor()
//	broker, _ := secrets.New(authz, backend,
//		secrets.WithMasker(red), secrets.WithJournal(dir), secrets.WithAudit(sink))
//	_, _ = broker.Recover(ctx) // leases a crashed predecessor left behind
//	logs := red.NewWriter(os.Stdout)
//	err := broker.Run(ctx, secrets.JobSpec{ID: jobID, Identity: who}, func(ctx context.Context, job *secrets.Job) error {
//		l, err := job.Lease(ctx, "db")
//		if err != nil {
//			return err // denied or backend failed: nothing granted
//		}
//		v, err := l.Value()
//		...
//	}) // every lease revoked here
//
// # Security contract
//
//   - Fail closed: an authorizer error, a compromised identity, a backend
//     failure or timeout, an audit sink that cannot record an issuance, or a
//     value too short to mask ([MinMaskLen]) while a masker is wired in: no
//     lease.
//   - Values never appear in errors, logs, audit events (lease id and secret
//     name only), the durable record, or the printed/JSON form of any type;
//     [Value.Reveal] is the only way to read one. Revocation wipes the bytes.
//   - The lease id is recorded (fsync'd) before the backend is asked, so a
//     crash at any point leaves nothing Recover cannot find. Revocation
//     failures are retried with backoff, returned as [*RevokeError], audited
//     and kept in the record; they are never dropped.
//   - Revoked, expired and already-read single-use leases do not yield their
//     value.
package secrets

// Package pgreplay is an [oidc.ReplayCache] on a PostgreSQL table, for
// vendors who already run PostgreSQL: a single-use job token is accepted once
// across every verifier replica that shares the database.
//
//	pool, _ := pgxpool.New(ctx, dsn)
//	rc, err := pgreplay.New(ctx, pool)
//	defer rc.Close()
//	v, _ := oidc.NewVerifier(issuer, audience, oidc.WithSingleUse(rc))
//
// # How a claim works
//
// [New] creates the table (key bytea primary key, until timestamptz) if it
// does not exist. [Cache.Claim] runs one statement,
//
//	INSERT INTO t (key, until) VALUES (sha256(issuer, jti), exp+leeway)
//	ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until WHERE t.until <= now
//	RETURNING 1
//
// which returns a row only for the one caller that inserted the key (or took
// over an expired row): the primary key serializes concurrent replicas. A
// background goroutine deletes rows expired for longer than [WithClockSkew]
// in batches of 10,000 every [WithCleanupInterval]; [Cache.Close] stops it.
//
// # Security contract
//
//   - A token is accepted only when this call recorded its key; a live row
//     is a replay ([oidc.ErrReplayed]). An expired row is taken over only
//     by a claim that is itself still valid by the caller's clock (an
//     until already past is refused with [oidc.ErrExpired]), so the same
//     token replayed at the instant it expires never takes over the row of
//     its first use.
//   - Fail closed: when PostgreSQL cannot answer within [WithTimeout]
//     (server down, pool exhausted, query error), Claim returns an
//     [*UnavailableError] matching [ErrUnavailable] and the verifier refuses
//     the token. A claim whose commit was acknowledged but whose answer was
//     lost spends the token; it is never accepted twice.
//   - A row never lapses before its token: Claim refuses a token that would
//     outlive [WithMaxTTL] ([ErrLifetime]) instead of recording it for less,
//     and the table is an ordinary (logged) table, so a crash does not lose
//     committed claims. [New] refuses ([ErrConfig]) a table created ahead
//     that is UNLOGGED or temporary, or whose key is not bytea or whose
//     until is not timestamptz (a timestamp without time zone holds each
//     replica's wall clock, which replicas in other zones misread), or
//     that has no unique index on key alone (non-partial, not deferrable).
//   - Expiry is decided with the replicas' clocks ([WithClock]). A row is
//     purged only [WithClockSkew] (default 5s) after its expiry, so a
//     replica whose clock runs behind the purging one's still finds it
//     while its own clock says the token is valid: the replicas' clocks
//     must agree within that allowance (the leeway does not cover it), and
//     every replica must verify with the same leeway.
//   - The table holds SHA-256 hashes, never token ids; errors and logs never
//     hold token ids. The table name is checked against a strict pattern and
//     quoted, never interpolated raw.
//
// Access: the role needs CREATE on the schema (or a table created ahead by
// an administrator), and SELECT, INSERT, UPDATE, DELETE on the table. Whoever
// can delete rows can re-enable a spent token until it expires.
package pgreplay

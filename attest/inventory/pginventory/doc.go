// Package pginventory is an [inventory.Store] on PostgreSQL, for a fleet of
// gate replicas that share one index of what was admitted.
//
//	pool, _ := pgxpool.New(ctx, dsn)
//	s, err := pginventory.New(ctx, pool)
//	g, err := gate.New(tokens, verifiers, eval, sink, gate.WithInventory(s))
//
// # Schema
//
// [New] creates, if absent, PREFIX_admission (one row per decision:
// decision_id unique, digest, image, builder, job, policy_revision,
// admitted_at, policy_input (bytea, NULL when not kept); indexes on digest,
// builder and policy_revision), PREFIX_package (one row per package of an
// admission: pkey = the package URL's type/namespace/name key, ptype,
// version; primary key (admission, ord) and an index on (pkey, version)
// INCLUDE (admission)) and PREFIX_signer (one row per signer of an
// admission: issuer, san, key_id; partial indexes on san and on key_id). A
// table of an earlier schema is migrated in place by the same statements
// (ADD COLUMN IF NOT EXISTS of a nullable column, CREATE ... IF NOT
// EXISTS): its admissions keep no policy input and list no signers. A
// signer or key query is a semi-join on its partial index. A package query reads the package's
// distinct versions from that index, applies the version ordering in Go
// ([inventory.Matcher], the same code as every other store — PostgreSQL
// has no PEP 440 or Maven collation), then fetches the rows of the selected
// versions only.
//
// # Security contract
//
//   - Record is one transaction: an admission is stored with all its
//     packages or not at all. A decision id already present is refused
//     ([inventory.ErrDuplicate]); nothing is overwritten.
//   - Every call is bounded by [WithTimeout]; any engine error is wrapped
//     in [inventory.ErrUnavailable] and means "not recorded / no answer"
//     (the gate denies).
//   - Table names are checked against a strict pattern and quoted; every
//     value is a bound parameter.
//   - Access: the role needs CREATE (or tables created ahead), INSERT and
//     SELECT. Whoever can UPDATE or DELETE rows can hide admissions from
//     incident response: grant the gate's role no more than INSERT and
//     SELECT.
package pginventory

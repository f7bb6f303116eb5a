// Package pginventory is an [inventory.Store] on PostgreSQL, for a fleet of
// gate replicas that share one index of what was admitted.
//
//	pool, _ := pgxpool.New(ctx, dsn)
//	s, err := pginventory.New(ctx, pool)
//	g, err := gate.New(tokens, verifiers, eval, sink, gate.WithInventory(s))
//
// # Schema
//
// [New] creates, if absent, in schema public ([WithSchema]), PREFIX_admission (one row per decision:
// decision_id unique, digest, image, builder (the first), job, policy_revision,
// admitted_at, policy_input (bytea, NULL when not kept); indexes on digest,
// builder, the builder id before its first "@" (a query by a builder id
// without "@" selects it at every ref, [inventory.BuilderSelects]) and
// policy_revision), PREFIX_package (one row per package of an
// admission: pkey = the package URL's type/namespace/name key, ptype,
// version, spelling = the key as the SBOM spelled it
// ([inventory.Entry.Spelled], NULL when unknown); primary key (admission,
// ord) and an index on (pkey, version)
// INCLUDE (admission)), PREFIX_signer (one row per signer of an
// admission: issuer, san, key_id; partial indexes on san and on key_id),
// PREFIX_builder (one row per builder of an admission after the first,
// which is the admission's builder column; indexes on builder and on the
// id before its first "@") and PREFIX_schema (one row: the schema
// version). A signer or key query is a semi-join on its partial index; a
// builder query matches the builder column or is a semi-join on the
// builder table. A package query reads the package's
// distinct versions from that index, applies the version ordering in Go
// ([inventory.Matcher], the same code as every other store — PostgreSQL
// has no PEP 440 or Maven collation), then fetches the rows of the selected
// versions only.
// A query by digest, builder, signer, key or revision reads only the
// newest [inventory.Query.Limit] admissions it selects (and one more, to
// tell [inventory.Result.Truncated]), and the packages of those only.
//
// # Schema versions
//
// New upgrades tables of an earlier schema version in the transaction
// that creates what is missing, under the advisory lock: a crash, an
// error or the timeout ([WithTimeout]) rolls the whole upgrade back, and
// replicas starting together upgrade once. Running it again on upgraded
// tables changes nothing.
//
//   - 1: every schema of before the version table. Tables of before
//     signers and policy inputs get them by ADD COLUMN IF NOT EXISTS of a
//     nullable column and CREATE ... IF NOT EXISTS; their admissions keep
//     no policy input and list no signers.
//   - 2: pypi packages keyed by their PEP 503 name. Keys of version 1
//     ("zope.interface", lower case, '_' already '-') are re-derived with
//     [inventory.CanonicalKey] (one UPDATE of the rows of the keys that
//     change; an admission that listed both spellings keeps its first
//     row), and a CHECK constraint, PREFIX_package_pypi_pep503, refuses a
//     pypi key whose name holds '.', '_' or "--". Without the migration a
//     query for pkg:pypi/zope-interface would miss every admission
//     recorded before the upgrade whose SBOM wrote zope.interface; without
//     the constraint, a replica of an older build still running during a
//     rolling upgrade would go on recording such keys. With it, that
//     replica's Record fails and its gate denies until it is upgraded.
//   - 3: nuget packages keyed by their id in lower case (NuGet compares
//     ids case-insensitively), re-derived the same way, with a CHECK
//     constraint, PREFIX_package_nuget_lower, that refuses a nuget key
//     holding an upper-case letter outside a percent-escape. Without it,
//     a query for pkg:nuget/Newtonsoft.Json would miss every admission
//     whose SBOM wrote newtonsoft.json, and the other way round. The
//     spelling column was added later within schema 3 (ADD COLUMN IF NOT
//     EXISTS, nullable): it changes no key, and rows of before it, or of
//     an older replica still running, hold NULL, read as "spelling
//     unknown", for which drift lifts no finding it cannot prove a VEX
//     statement names. Source packages ([inventory.Package.Source]) came
//     later still within schema 3, with no migration either: they are
//     ordinary package rows under the source's key, whose spelling holds
//     what they were derived from ([inventory.Entry.Spelled]); a replica
//     of before them finds them by the source's key and reads that
//     spelling as one that names no package, so its drift lifts no
//     finding by it. Admissions recorded before are not re-derived: the
//     table kept no qualifiers, so their source packages are not indexed.
//     Every builder of an admission ([inventory.Admission.Builders]) came
//     later still within schema 3, with no migration: the first stays in
//     the builder column, the others go to PREFIX_builder (CREATE ... IF
//     NOT EXISTS). A replica of before neither writes that table (its
//     admissions have one builder at most, in the column this build reads)
//     nor reads it (its query by a further builder misses the admission,
//     as it did).
//
// Tables of a newer version (upgraded by a newer version) are refused
// with an [*inventory.FormatError] rather than written under older rules.
//
// Migrating, rather than refusing old tables and asking for a re-index,
// because the index cannot be rebuilt: it is the only record of which
// SBOM packages each admission declared (the gate keeps no SBOMs), and
// the old key is all the new one needs (PEP 503 or lower case applied to
// the old normalized name gives the same result as applied to the SBOM's),
// so the migration loses nothing. Its cost: the package table is scanned
// for its pypi and nuget keys, and again to validate each constraint,
// within the one
// New; on a large index, give the first New after the upgrade a longer
// [WithTimeout]. It needs no right New did not need before: the tables'
// owner's (see Access below).
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
//   - Every statement names the tables with their schema, public unless
//     [WithSchema] says otherwise, so a role's search_path cannot give two
//     replicas different indexes, nor let a table planted earlier on a
//     search_path stand in for the index; built-in functions, operators
//     and types are named with pg_catalog (OPERATOR(pg_catalog.=), not =;
//     = ANY, not IN), so that an operator, function or type defined in a
//     schema earlier on a session's search_path (public before PostgreSQL
//     15, or one listed ahead of pg_catalog) cannot change what a query
//     selects, nor run as the tables' owner. New pins search_path to
//     pg_catalog for the rest of its transaction once it holds the lock,
//     so the columns, index expressions and constraints it creates, and
//     its migrations, name pg_catalog's types and functions. New refuses
//     ([ErrConfig]) to start when the session's search_path resolves one
//     of the table names to another relation than the configured schema's:
//     a fleet that ran before the names were qualified and kept its tables
//     outside public (say in a schema named after its role) must move them
//     or name that schema with [WithSchema].
//   - Access: Record and Query need INSERT and SELECT; New needs the
//     rights of the tables' owner (CREATE on the schema, and ownership:
//     PostgreSQL checks it for ALTER TABLE even when there is nothing to
//     change), as it creates, alters and migrates them. Whoever can UPDATE
//     or DELETE rows can hide admissions from incident response: the
//     owner can, so keep the owning role's credentials away from what
//     only queries the index.
package pginventory

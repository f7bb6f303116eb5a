package pginventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/internal/clip"
)

// ErrConfig: New was given a nil pool or a bad option.
var ErrConfig = errors.New("pginventory: invalid configuration")

// Option configures [New].
type Option func(*config) error

type config struct {
	schema  string
	prefix  string
	timeout time.Duration
	log     *slog.Logger
}

var (
	prefixPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)
	schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,50}$`)
)

// WithSchema names the schema that holds the tables (default "public").
// Every statement names it, so the tables do not depend on a session's
// search_path: replicas whose roles have different search_path settings
// still share one index, and a table of the same name in a schema earlier
// on a search_path cannot stand in for it. Lower-case letters, digits and
// _, not starting with pg_. The schema must exist, and New needs CREATE on
// it (since PostgreSQL 15 only public's owner has CREATE on public: a role
// that kept its tables in a schema of its own names that schema here).
func WithSchema(name string) Option {
	return func(c *config) error {
		if !schemaPattern.MatchString(name) || strings.HasPrefix(name, "pg_") {
			return fmt.Errorf("%w: schema %q (lower-case letters, digits and _, at most 51, not pg_)", ErrConfig, name)
		}
		c.schema = name
		return nil
	}
}

// WithTablePrefix names the tables (default "ztci_inventory": tables
// ztci_inventory_admission, _package, _signer, _builder and _schema; lower-case letters,
// digits and _). Every gate replica that shares the index names the same
// prefix in the same database.
func WithTablePrefix(p string) Option {
	return func(c *config) error {
		if !prefixPattern.MatchString(p) {
			return fmt.Errorf("%w: table prefix %q (lower-case letters, digits and _, at most 41)", ErrConfig, p)
		}
		c.prefix = p
		return nil
	}
}

// WithTimeout bounds each Record and Query, and New (default 5s). The
// first New after an upgrade migrates the package table within it: on a
// large index, give that New a longer timeout.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v", ErrConfig, d)
		}
		c.timeout = d
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

// Store is an [inventory.Store] on PostgreSQL tables. The pool belongs
// to the caller.
type Store struct {
	pool     *pgxpool.Pool
	cfg      config
	adm, pkg string // quoted identifiers
	signer   string
	builder  string         // the further builders' table
	schema   string         // the schema version table
	pkgName  pgx.Identifier // for CopyFrom
	sgName   pgx.Identifier
	bdName   pgx.Identifier
	cols     string
}

var _ inventory.Store = (*Store)(nil)

// New creates the tables and indexes if they do not exist, and migrates
// tables of an earlier schema version, in one transaction under an
// advisory lock, so replicas starting together do not race (see the
// package documentation). Tables of a newer schema version are refused
// with an [*inventory.FormatError].
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", ErrConfig)
	}
	cfg := config{schema: "public", prefix: "ztci_inventory", timeout: 5 * time.Second, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	// Schema-qualified: a session's search_path does not pick the tables.
	table := func(suffix string) pgx.Identifier { return pgx.Identifier{cfg.schema, cfg.prefix + suffix} }
	s := &Store{pool: pool, cfg: cfg, pkgName: table("_package"), sgName: table("_signer"), bdName: table("_builder"),
		adm: table("_admission").Sanitize(), pkg: table("_package").Sanitize(),
		signer: table("_signer").Sanitize(), builder: table("_builder").Sanitize(),
		schema: table("_schema").Sanitize(),
		cols:   "a.id, a.decision_id, a.digest, a.image, a.builder, a.job, a.policy_revision, a.admitted_at"}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return s.setUp(ctx, tx) })
	var fe *inventory.FormatError
	switch {
	case errors.As(err, &fe), errors.Is(err, ErrConfig):
		return nil, err
	case err != nil:
		return nil, unavailable(err)
	}
	return s, nil
}

// schemaVersion is the schema this build writes. 1 is every schema of
// before the version table (with or without signers and policy inputs);
// 2 keys pypi packages by their PEP 503 name and refuses any other pypi
// key; 3 keys nuget packages by their lower-case id and refuses any other
// nuget key ([inventory.ParsePURL]). The spelling column came later in
// schema 3 without a new version, as the signer table did in schema 1: it
// changes no key, and rows an older build writes leave it NULL, read as
// "spelling unknown" ([inventory.Entry.Spelled]). So did source packages
// ([inventory.Package.Source]): ordinary rows, marked in their spelling,
// which an older build reads as naming no package. So did the index on
// the builder id before its "@" (inventory.BuilderSelects): an index,
// created if absent; an older build's query by builder does not use it.
// So did the builder table, which holds an admission's builders after the
// first (the first stays in the admission's builder column): a table,
// created if absent, which an older build neither writes (its admissions
// have one builder at most, in the column this build reads too) nor reads
// (its queries by builder miss the further builders, as they did).
const schemaVersion = 3

// setUp creates what is missing and brings tables of an earlier schema
// version (or new, empty ones) to schemaVersion, all in New's one
// transaction under an advisory lock: a crash, an error or the timeout
// rolls all of it back, and replicas starting together set up once. A
// newer version is a [*inventory.FormatError], found before any other
// statement runs, since that schema may differ from this one.
//
// Past the lock and checkShadow, the transaction's search_path is pinned
// to pg_catalog: the DDL, its column types, index expressions and CHECK
// constraints, and the migrations' statements resolve names in pg_catalog
// only, whatever the session's search_path holds.
func (s *Store) setUp(ctx context.Context, tx pgx.Tx) error {
	// The lock's key is the one builds of before took (without the
	// schema), so that they and this build still set up one at a time
	// during a rolling upgrade.
	if _, err := tx.Exec(ctx, `SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext($1::pg_catalog.text))`,
		"ztci.pginventory."+s.cfg.prefix); err != nil {
		return err
	}
	for _, suffix := range []string{"_admission", "_package", "_signer", "_builder", "_schema"} {
		if err := checkShadow(ctx, tx, s.cfg.schema, s.cfg.prefix+suffix); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)`,
		`CREATE TABLE IF NOT EXISTS ` + s.schema + ` (one boolean PRIMARY KEY DEFAULT true CHECK (one), version int NOT NULL)`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	found := 1 // no row: tables of before the version table, or none yet
	if err := tx.QueryRow(ctx, `SELECT version FROM `+s.schema).Scan(&found); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if found > schemaVersion {
		return &inventory.FormatError{Store: "PostgreSQL tables " + s.cfg.prefix + "_*", Found: found, Supported: schemaVersion}
	}
	if err := s.createTables(ctx, tx); err != nil {
		return err
	}
	if found == schemaVersion {
		return nil
	}
	for _, step := range []struct {
		to      int
		migrate func(context.Context, pgx.Tx) error
	}{{2, s.pep503Keys}, {3, s.nugetKeys}} {
		if found >= step.to {
			continue
		}
		if err := step.migrate(ctx, tx); err != nil {
			return fmt.Errorf("schema %d to %d: %w", step.to-1, step.to, err)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s.schema+` (version) VALUES ($1) ON CONFLICT (one) DO UPDATE SET version = excluded.version`, schemaVersion)
	return err
}

// checkShadow refuses ([ErrConfig]) a table name that this session's
// search_path resolves to a relation other than schema.name: a fleet whose
// replicas ran before the tables were schema-qualified kept its index
// there (say in a schema named after its role), or someone put a table of
// that name ahead of the index. Either way a replica would read and write
// another index than its peers, and an incident query would miss what
// they admitted. Its operators are qualified: it runs under the
// session's search_path.
func checkShadow(ctx context.Context, tx pgx.Tx, schema, name string) error {
	var other *string
	err := tx.QueryRow(ctx, `SELECT a::pg_catalog.text FROM (SELECT pg_catalog.to_regclass($1::pg_catalog.text) AS a,
		pg_catalog.to_regclass($2::pg_catalog.text) AS b) AS x
		WHERE a IS NOT NULL AND (b IS NULL OR a::pg_catalog.oid OPERATOR(pg_catalog.<>) b::pg_catalog.oid)`,
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{schema, name}.Sanitize()).Scan(&other)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if other != nil && *other != "" {
		return fmt.Errorf("%w: table name %s resolves to %s on this session's search_path, not to the index's %s.%s: move the rows or set WithSchema",
			ErrConfig, name, clip.Quote(*other, 200), schema, name)
	}
	return nil
}

// pep503Keys is the migration to schema 2: pypi keys re-derived under
// PEP 503, and a constraint that refuses any other. A replica of an older
// build still running (a rolling upgrade) would go on writing pypi keys
// under the old rule, which no query of this build finds: the constraint
// makes its Record fail instead, so its gate denies. "[._]|--" is what
// PEP 503 leaves out of a name (the last segment of the key).
func (s *Store) pep503Keys(ctx context.Context, tx pgx.Tx) error {
	if err := s.rekey(ctx, tx, "pypi"); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `ALTER TABLE `+s.pkg+` ADD CONSTRAINT `+pgx.Identifier{s.cfg.prefix + "_package_pypi_pep503"}.Sanitize()+
		` CHECK (ptype <> 'pypi' OR substring(pkey from '[^/]*$') !~ '[._]|--')`)
	return err
}

// nugetKeys is the migration to schema 3: nuget keys re-derived in lower
// case, and a constraint that refuses any other, for the reason
// pep503Keys gives. Key percent-encodes with upper-case hex digits, so the
// constraint refuses an upper-case letter that is not part of a
// percent-escape ("%2F", "%C3").
func (s *Store) nugetKeys(ctx context.Context, tx pgx.Tx) error {
	if err := s.rekey(ctx, tx, "nuget"); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `ALTER TABLE `+s.pkg+` ADD CONSTRAINT `+pgx.Identifier{s.cfg.prefix + "_package_nuget_lower"}.Sanitize()+
		` CHECK (ptype <> 'nuget' OR pkey !~ '(?<!%)(?<!%[0-9A-F])[A-Z]')`)
	return err
}

// createTables creates the tables and indexes that do not exist.
func (s *Store) createTables(ctx context.Context, tx pgx.Tx) error {
	ix := func(suffix string) string { return pgx.Identifier{s.cfg.prefix + suffix}.Sanitize() }
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS ` + s.adm + ` (
			id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			decision_id text NOT NULL UNIQUE,
			digest text NOT NULL, image text NOT NULL, builder text NOT NULL, job text NOT NULL,
			policy_revision text NOT NULL, admitted_at timestamptz NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_admission_digest") + ` ON ` + s.adm + ` (digest)`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_admission_builder") + ` ON ` + s.adm + ` (builder)`,
		`CREATE TABLE IF NOT EXISTS ` + s.pkg + ` (
			admission bigint NOT NULL REFERENCES ` + s.adm + ` (id) ON DELETE CASCADE,
			ord int NOT NULL, pkey text NOT NULL, ptype text NOT NULL, version text NOT NULL,
			PRIMARY KEY (admission, ord))`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_package_key") + ` ON ` + s.pkg + ` (pkey, version) INCLUDE (admission)`,
		// Added later; each statement is safe on a table of the first
		// schema: a nullable column without default is a catalogue
		// change, existing admissions keep no policy input and list no
		// signers. Building the revision index scans the table once
		// (holding off writes meanwhile).
		`ALTER TABLE ` + s.adm + ` ADD COLUMN IF NOT EXISTS policy_input bytea`,
		`ALTER TABLE ` + s.pkg + ` ADD COLUMN IF NOT EXISTS spelling text`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_admission_policy") + ` ON ` + s.adm + ` (policy_revision)`,
		// A query by a builder id without "@" selects it at any "@<ref>"
		// too (inventory.BuilderSelects): the id before the first "@".
		`CREATE INDEX IF NOT EXISTS ` + ix("_admission_builder_base") + ` ON ` + s.adm + ` (split_part(builder, '@', 1))`,
		`CREATE TABLE IF NOT EXISTS ` + s.signer + ` (
			admission bigint NOT NULL REFERENCES ` + s.adm + ` (id) ON DELETE CASCADE,
			ord int NOT NULL, issuer text NOT NULL, san text NOT NULL, key_id text NOT NULL,
			PRIMARY KEY (admission, ord))`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_signer_san") + ` ON ` + s.signer + ` (san) WHERE san <> ''`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_signer_key") + ` ON ` + s.signer + ` (key_id) WHERE key_id <> ''`,
		`CREATE TABLE IF NOT EXISTS ` + s.builder + ` (
			admission bigint NOT NULL REFERENCES ` + s.adm + ` (id) ON DELETE CASCADE,
			ord int NOT NULL, builder text NOT NULL,
			PRIMARY KEY (admission, ord))`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_builder_id") + ` ON ` + s.builder + ` (builder)`,
		`CREATE INDEX IF NOT EXISTS ` + ix("_builder_base") + ` ON ` + s.builder + ` (split_part(builder, '@', 1))`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// rekey re-derives the keys of the packages of type typ
// ([inventory.CanonicalKey]) after the normalization of that type
// changed, and deletes the rows this makes duplicates of another row of
// the same admission (the first kept, as Record merges them). The stored
// key is enough to derive the new one: no admission needs its SBOM again.
// Merged rows lose no spelling: steps run only on tables of before schema
// 3, whose spelling column is NULL.
func (s *Store) rekey(ctx context.Context, tx pgx.Tx, typ string) error {
	rows, _ := tx.Query(ctx, `SELECT DISTINCT pkey FROM `+s.pkg+` WHERE ptype = $1`, typ)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var from, to []string
	for _, k := range keys {
		canon, err := inventory.CanonicalKey(k)
		if err != nil {
			return fmt.Errorf("index key %q: %w", k, err)
		}
		if canon != k {
			from, to = append(from, k), append(to, canon)
		}
	}
	if len(from) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE `+s.pkg+` p SET pkey = m.canon FROM unnest($1::text[], $2::text[]) AS m(old, canon)
		WHERE p.pkey = m.old`, from, to)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM `+s.pkg+` d USING `+s.pkg+` k WHERE d.pkey = ANY($1) AND k.admission = d.admission
		AND k.pkey = d.pkey AND k.ptype = d.ptype AND k.version = d.version AND k.ord < d.ord`, to)
	return err
}

// spelling is e.Spelled as the spelling column holds it: NULL when unknown.
func spelling(e inventory.Entry) *string {
	if e.Spelled == "" {
		return nil
	}
	return &e.Spelled
}

// withFirstBuilder is a row of the admission table as a result: a, in UTC,
// with the builder column as its first builder (attach adds the others).
func withFirstBuilder(a inventory.Admission, first string) inventory.Admission {
	a.Time = a.Time.UTC()
	a.Builders = nil
	if first != "" {
		a.Builders = []string{first}
	}
	return a
}

func unavailable(err error) error {
	return fmt.Errorf("%w: postgresql: %w", inventory.ErrUnavailable, err)
}

// Record implements [inventory.Store]: one transaction inserts the
// admission and copies its packages.
func (s *Store) Record(ctx context.Context, a inventory.Admission) error {
	a, entries, err := inventory.Normalize(a)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	dup := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		var input []byte // NULL when not kept
		if len(a.PolicyInput) > 0 {
			input = a.PolicyInput
		}
		first, more := "", []string(nil)
		if len(a.Builders) > 0 {
			first, more = a.Builders[0], a.Builders[1:]
		}
		err := tx.QueryRow(ctx, `INSERT INTO `+s.adm+` (decision_id, digest, image, builder, job, policy_revision, admitted_at, policy_input)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (decision_id) DO NOTHING RETURNING id`,
			a.DecisionID, a.Digest, a.Image, first, a.Job, a.PolicyRevision, a.Time, input).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			dup = true
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, s.pkgName, []string{"admission", "ord", "pkey", "ptype", "version", "spelling"},
			pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
				e := entries[i]
				return []any{id, int32(i), e.Key, e.Type, e.Version, spelling(e)}, nil
			}))
		if err != nil {
			return err
		}
		if len(more) > 0 {
			_, err = tx.CopyFrom(ctx, s.bdName, []string{"admission", "ord", "builder"},
				pgx.CopyFromSlice(len(more), func(i int) ([]any, error) { return []any{id, int32(i + 1), more[i]}, nil }))
			if err != nil {
				return err
			}
		}
		if len(a.Signers) == 0 {
			return nil
		}
		_, err = tx.CopyFrom(ctx, s.sgName, []string{"admission", "ord", "issuer", "san", "key_id"},
			pgx.CopyFromSlice(len(a.Signers), func(i int) ([]any, error) {
				sg := a.Signers[i]
				return []any{id, int32(i), sg.Issuer, sg.SAN, sg.KeyID}, nil
			}))
		return err
	})
	switch {
	case err != nil:
		s.cfg.log.ErrorContext(ctx, "inventory record failed", "decision", a.DecisionID, "err", err)
		return unavailable(err)
	case dup:
		return fmt.Errorf("%w: %q", inventory.ErrDuplicate, a.DecisionID)
	}
	return nil
}

// Query implements [inventory.Store]. A package query first reads the
// distinct versions of the package from the (pkey, version) index, applies
// the version criteria to them, then reads only the rows of the versions
// selected, joined with their admissions.
func (s *Store) Query(ctx context.Context, q inventory.Query) (inventory.Result, error) {
	mt, err := inventory.Compile(q)
	if err != nil {
		return inventory.Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	var hits []inventory.Admission
	if mt.Key == "" {
		hits, err = s.byAdmission(ctx, mt)
	} else {
		hits, err = s.byPackage(ctx, mt)
	}
	if err != nil {
		return inventory.Result{}, unavailable(err)
	}
	return mt.Finish(hits), nil
}

func (s *Store) byPackage(ctx context.Context, mt *inventory.Matcher) ([]inventory.Admission, error) {
	rows, _ := s.pool.Query(ctx, `SELECT DISTINCT version FROM `+s.pkg+` WHERE pkey OPERATOR(pg_catalog.=) $1::pg_catalog.text`, mt.Key)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var want []string
	for _, v := range versions {
		if _, ok := mt.Match(v, ""); ok {
			want = append(want, v)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	// Criteria are added only when set, so each shape gets its own plan
	// (a generic plan for "$3 = '' OR digest = $3" would scan admissions).
	sql, args := `SELECT `+s.cols+`, p.version, coalesce(p.spelling, ''::pg_catalog.text) FROM `+s.pkg+` p
		JOIN `+s.adm+` a ON a.id OPERATOR(pg_catalog.=) p.admission
		WHERE p.pkey OPERATOR(pg_catalog.=) $1::pg_catalog.text AND p.version OPERATOR(pg_catalog.=) ANY($2::pg_catalog.text[])`, []any{mt.Key, want}
	sql, args = s.where(mt, sql, args)
	rows, _ = s.pool.Query(ctx, sql+` ORDER BY a.id`, args...)
	var hits []inventory.Admission
	var ids []int64
	last := int64(-1)
	var a inventory.Admission
	var id int64
	var first, v, spelled string
	_, err = pgx.ForEachRow(rows, []any{&id, &a.DecisionID, &a.Digest, &a.Image, &first, &a.Job, &a.PolicyRevision, &a.Time, &v, &spelled}, func() error {
		p, _ := mt.Match(v, spelled) // v is one of want: the verdict is cached
		if id == last {
			hits[len(hits)-1].Packages = append(hits[len(hits)-1].Packages, p)
			return nil
		}
		h := withFirstBuilder(a, first)
		h.Packages = []inventory.Package{p}
		hits = append(hits, h)
		ids = append(ids, id)
		last = id
		return nil
	})
	if err != nil {
		return nil, err
	}
	return hits, s.attach(ctx, mt, ids, hits)
}

// where appends the criteria mt sets other than the package to sql (which
// has a WHERE clause on admission alias a) and args. Criteria are added
// only when set, so each shape gets its own plan (a generic plan for
// "$3 = ” OR digest = $3" would scan admissions); a signer or key is a
// semi-join on the signer table's partial index, a builder the admission's
// first builder or a semi-join on the builder table.
func (s *Store) where(mt *inventory.Matcher, sql string, args []any) (string, []any) {
	builder := `%s OPERATOR(pg_catalog.=) $N`
	if !strings.Contains(mt.Builder, "@") {
		// The builder at any "@<ref>" too (inventory.BuilderSelects),
		// on the expression indexes PREFIX_admission_builder_base and
		// PREFIX_builder_base.
		builder = `pg_catalog.split_part(%s, '@'::pg_catalog.text, 1) OPERATOR(pg_catalog.=) $N`
	}
	for _, c := range []struct{ v, cond string }{
		{mt.Digest, `a.digest OPERATOR(pg_catalog.=) $N`},
		{mt.Builder, `(` + fmt.Sprintf(builder, "a.builder") + ` OR a.id OPERATOR(pg_catalog.=) ANY (SELECT admission FROM ` + s.builder + ` b WHERE ` +
			fmt.Sprintf(builder, "b.builder") + `))`},
		{mt.PolicyRevision, `a.policy_revision OPERATOR(pg_catalog.=) $N`},
		{mt.Signer, `a.id OPERATOR(pg_catalog.=) ANY (SELECT admission FROM ` + s.signer +
			` WHERE san OPERATOR(pg_catalog.<>) ''::pg_catalog.text AND san OPERATOR(pg_catalog.=) $N)`},
		{mt.KeyID, `a.id OPERATOR(pg_catalog.=) ANY (SELECT admission FROM ` + s.signer +
			` WHERE key_id OPERATOR(pg_catalog.<>) ''::pg_catalog.text AND key_id OPERATOR(pg_catalog.=) $N)`},
	} {
		if c.v != "" {
			args = append(args, c.v)
			sql += ` AND ` + strings.ReplaceAll(c.cond, `$N`, `$`+strconv.Itoa(len(args))+`::pg_catalog.text`)
		}
	}
	return sql, args
}

// attach reads the further builders, the signers (and, when asked, the
// policy inputs) of the admissions ids, hits[i] being ids[i].
func (s *Store) attach(ctx context.Context, mt *inventory.Matcher, ids []int64, hits []inventory.Admission) error {
	if len(ids) == 0 {
		return nil
	}
	index := make(map[int64]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	rows, _ := s.pool.Query(ctx, `SELECT admission, builder FROM `+s.builder+` WHERE admission OPERATOR(pg_catalog.=) ANY($1::pg_catalog.int8[]) ORDER BY admission, ord`, ids)
	var id int64
	var builder string
	_, err := pgx.ForEachRow(rows, []any{&id, &builder}, func() error {
		hits[index[id]].Builders = append(hits[index[id]].Builders, builder)
		return nil
	})
	if err != nil {
		return err
	}
	rows, _ = s.pool.Query(ctx, `SELECT admission, issuer, san, key_id FROM `+s.signer+` WHERE admission OPERATOR(pg_catalog.=) ANY($1::pg_catalog.int8[]) ORDER BY admission, ord`, ids)
	var sg inventory.Signer
	_, err = pgx.ForEachRow(rows, []any{&id, &sg.Issuer, &sg.SAN, &sg.KeyID}, func() error {
		hits[index[id]].Signers = append(hits[index[id]].Signers, sg)
		return nil
	})
	if err != nil || !mt.WithPolicyInput {
		return err
	}
	rows, _ = s.pool.Query(ctx, `SELECT id, policy_input FROM `+s.adm+` WHERE id OPERATOR(pg_catalog.=) ANY($1::pg_catalog.int8[]) AND policy_input IS NOT NULL`, ids)
	var input []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &input}, func() error {
		hits[index[id]].PolicyInput = input
		return nil
	})
	return err
}

// byAdmission reads the admissions mt selects (not by package), only the
// Limit+1 newest of them, in the order Finish sorts them (time, then
// decision id byte for byte, as Go compares strings: COLLATE "C"), and
// the packages of the Limit newest, so that nothing is read past what the
// result holds and Finish still sees whether more matched.
func (s *Store) byAdmission(ctx context.Context, mt *inventory.Matcher) ([]inventory.Admission, error) {
	sql, args := s.where(mt, `SELECT `+s.cols+` FROM `+s.adm+` a WHERE true`, nil)
	args = append(args, int64(mt.Limit)+1)
	rows, _ := s.pool.Query(ctx, sql+` ORDER BY a.admitted_at DESC, a.decision_id COLLATE pg_catalog."C" LIMIT $`+
		strconv.Itoa(len(args))+`::pg_catalog.int8`, args...)
	var hits []inventory.Admission
	var ids []int64
	index := map[int64]int{}
	var a inventory.Admission
	var id int64
	var first string
	_, err := pgx.ForEachRow(rows, []any{&id, &a.DecisionID, &a.Digest, &a.Image, &first, &a.Job, &a.PolicyRevision, &a.Time}, func() error {
		h := withFirstBuilder(a, first)
		index[id] = len(hits)
		hits = append(hits, h)
		ids = append(ids, id)
		return nil
	})
	if err != nil || len(ids) == 0 {
		return hits, err
	}
	// The admission after the newest Limit only tells Finish that more
	// matched: its packages and signers are not read.
	ids = ids[:min(len(ids), mt.Limit)]
	entries := make([][]inventory.Entry, len(hits))
	rows, _ = s.pool.Query(ctx, `SELECT admission, pkey, ptype, version, coalesce(spelling, ''::pg_catalog.text) FROM `+s.pkg+`
		WHERE admission OPERATOR(pg_catalog.=) ANY($1::pg_catalog.int8[]) ORDER BY admission, ord`, ids)
	var e inventory.Entry
	_, err = pgx.ForEachRow(rows, []any{&id, &e.Key, &e.Type, &e.Version, &e.Spelled}, func() error {
		entries[index[id]] = append(entries[index[id]], e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range hits {
		hits[i] = inventory.WithEntries(hits[i], entries[i])
	}
	return hits, s.attach(ctx, mt, ids, hits)
}

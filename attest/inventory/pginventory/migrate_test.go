package pginventory_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/inventory/pginventory"
	"github.com/ztci/ztci/internal/itest"
)

// createSchema1 creates tables of schema version 1 (as the last build
// without a version table created them) under prefix, holding admissions
// d-old and d-other with packages keyed as that build keyed them: pypi
// names lower case with '_' as '-' only.
func createSchema1(t *testing.T, p *pgxpool.Pool, prefix string, packages ...[4]string) {
	t.Helper()
	for _, q := range []string{
		`CREATE TABLE P_admission (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, decision_id text NOT NULL UNIQUE,
			digest text NOT NULL, image text NOT NULL, builder text NOT NULL, job text NOT NULL,
			policy_revision text NOT NULL, admitted_at timestamptz NOT NULL, policy_input bytea)`,
		`CREATE TABLE P_package (admission bigint NOT NULL REFERENCES P_admission (id) ON DELETE CASCADE,
			ord int NOT NULL, pkey text NOT NULL, ptype text NOT NULL, version text NOT NULL, PRIMARY KEY (admission, ord))`,
		`CREATE INDEX P_package_key ON P_package (pkey, version) INCLUDE (admission)`,
		`CREATE TABLE P_signer (admission bigint NOT NULL REFERENCES P_admission (id) ON DELETE CASCADE,
			ord int NOT NULL, issuer text NOT NULL, san text NOT NULL, key_id text NOT NULL, PRIMARY KEY (admission, ord))`,
		`INSERT INTO P_admission (decision_id, digest, image, builder, job, policy_revision, admitted_at)
			VALUES ('d-old', '` + inventorytest.Digest("old") + `', '', '', '', '', now()),
			('d-other', '` + inventorytest.Digest("other") + `', '', '', '', '', now() - interval '1 hour')`,
	} {
		if _, err := p.Exec(t.Context(), strings.ReplaceAll(q, "P_", prefix+"_")); err != nil {
			t.Fatal(err)
		}
	}
	for i, pk := range packages { // decision id, key, type, version
		_, err := p.Exec(t.Context(), `INSERT INTO `+prefix+`_package SELECT id, $2, $3, $4, $5 FROM `+prefix+`_admission WHERE decision_id = $1`,
			pk[0], i, pk[1], pk[2], pk[3])
		if err != nil {
			t.Fatal(err)
		}
	}
}

// rows returns the package table as "decision key version" lines in
// admission, ord order.
func rows(t *testing.T, p *pgxpool.Pool, prefix string) []string {
	t.Helper()
	r, _ := p.Query(t.Context(), `SELECT a.decision_id || ' ' || p.pkey || ' ' || p.version FROM `+prefix+`_package p
		JOIN `+prefix+`_admission a ON a.id = p.admission ORDER BY a.id, p.ord`)
	out, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func schemaVersion(t *testing.T, p *pgxpool.Pool, prefix string) int {
	t.Helper()
	var v int
	if err := p.QueryRow(t.Context(), `SELECT version FROM `+prefix+`_schema`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSchemaVersions runs the schema version cases on one server, each
// under its own table prefix.
func TestSchemaVersions(t *testing.T) {
	t.Parallel()
	p := pool(t, itest.StartPostgres(t, 20))
	for name, f := range map[string]func(*testing.T, *pgxpool.Pool){"MigratesSchema1PyPIKeys": migratesSchema1PyPIKeys,
		"FailedMigrationRollsBack": failedMigrationRollsBack,
		"MigratesSchema2NuGetKeys": migratesSchema2NuGetKeys, "RefusesNewerSchema": refusesNewerSchema,
		"RowsWithoutSpelling": rowsWithoutSpelling} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, p)
		})
	}
}

// Tables of schema 1 are migrated by New: pypi keys become PEP 503 names,
// a spelling an admission listed twice is merged (the first row kept),
// other keys are untouched, and the schema records the current version. A replica
// of the older build still running can no longer record an old-rule key
// (the constraint): it fails, so its gate denies. A second New changes
// nothing.
func migratesSchema1PyPIKeys(t *testing.T, p *pgxpool.Pool) {
	createSchema1(t, p, "v1",
		[4]string{"d-old", "pypi/zope.interface", "pypi", "5.5"}, [4]string{"d-old", "npm/left-pad", "npm", "1.3.0"},
		[4]string{"d-old", "pypi/zope-interface", "pypi", "5.5"}, [4]string{"d-old", "pypi/ruamel.yaml.clib", "pypi", "0.2.7"},
		[4]string{"d-other", "pypi/zope-interface", "pypi", "6.0"}, [4]string{"d-other", "pypi/zope--interface", "pypi", "4.0"},
		[4]string{"d-other", "npm/lodash.merge", "npm", "4.6.2"})
	s, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("v1"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:pypi/zope.interface", Ranges: []inventory.Range{{Fixed: "5.6"}}})
	if err != nil || len(res.Admissions) != 2 ||
		!slices.Equal(inventorytest.PURLs(res.Admissions[0]), []string{"pkg:pypi/zope-interface@5.5"}) ||
		!slices.Equal(inventorytest.PURLs(res.Admissions[1]), []string{"pkg:pypi/zope-interface@4.0"}) {
		t.Fatalf("zope.interface < 5.6: %+v, %v; want d-old at 5.5, d-other at 4.0", res, err)
	}
	res, err = s.Query(t.Context(), inventory.Query{Digest: inventorytest.Digest("old")})
	want := []string{"pkg:pypi/zope-interface@5.5", "pkg:npm/left-pad@1.3.0", "pkg:pypi/ruamel-yaml-clib@0.2.7"}
	if err != nil || len(res.Admissions) != 1 || !slices.Equal(inventorytest.PURLs(res.Admissions[0]), want) {
		t.Fatalf("d-old by digest: %+v, %v; want packages %v", res, err, want)
	}
	after := rows(t, p, "v1")
	wantRows := []string{"d-old pypi/zope-interface 5.5", "d-old npm/left-pad 1.3.0", "d-old pypi/ruamel-yaml-clib 0.2.7",
		"d-other pypi/zope-interface 6.0", "d-other pypi/zope-interface 4.0", "d-other npm/lodash.merge 4.6.2"}
	if !slices.Equal(after, wantRows) || schemaVersion(t, p, "v1") != 3 {
		t.Fatalf("package rows %q, version %d; want %q, 3", after, schemaVersion(t, p, "v1"), wantRows)
	}
	_, err = p.Exec(t.Context(), `INSERT INTO v1_package SELECT id, 99, 'pypi/zope.interface', 'pypi', '5.6' FROM v1_admission WHERE decision_id = 'd-old'`)
	if err == nil || !strings.Contains(err.Error(), "v1_package_pypi_pep503") {
		t.Fatalf("an old-rule pypi key was stored after the migration: err = %v", err)
	}
	if _, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("v1")); err != nil {
		t.Fatal(err)
	}
	if again := rows(t, p, "v1"); !slices.Equal(again, after) {
		t.Fatalf("a second New changed the rows: %q, were %q", again, after)
	}
	if err := s.Record(t.Context(), inventorytest.Admission("d-new", "new", "pkg:pypi/Zope_Interface@6.1")); err != nil {
		t.Fatalf("a record after the migration: %v", err)
	}
}

// Tables of schema 2 (pypi keys already PEP 503 names, their constraint in
// place) are migrated by New: nuget keys in the case the SBOM wrote become
// lower case, a spelling an admission listed twice is merged, the pypi
// step is not run again, and a constraint then refuses an upper-case nuget
// key while it admits the upper-case hex digits of a percent-escape.
func migratesSchema2NuGetKeys(t *testing.T, p *pgxpool.Pool) {
	createSchema1(t, p, "v2",
		[4]string{"d-old", "nuget/Newtonsoft.Json", "nuget", "12.0.1"}, [4]string{"d-old", "pypi/zope-interface", "pypi", "5.5"},
		[4]string{"d-old", "nuget/newtonsoft.json", "nuget", "12.0.1"}, [4]string{"d-other", "nuget/NEWTONSOFT.JSON", "nuget", "13.0.1"})
	for _, q := range []string{
		`CREATE TABLE v2_schema (one boolean PRIMARY KEY DEFAULT true CHECK (one), version int NOT NULL)`,
		`INSERT INTO v2_schema (version) VALUES (2)`,
		`ALTER TABLE v2_package ADD CONSTRAINT v2_package_pypi_pep503 CHECK (ptype <> 'pypi' OR substring(pkey from '[^/]*$') !~ '[._]|--')`,
	} {
		if _, err := p.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("v2"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:nuget/Newtonsoft.Json"})
	if err != nil || len(res.Admissions) != 2 {
		t.Fatalf("Newtonsoft.Json: %+v, %v; want d-old and d-other", res, err)
	}
	wantRows := []string{"d-old nuget/newtonsoft.json 12.0.1", "d-old pypi/zope-interface 5.5", "d-other nuget/newtonsoft.json 13.0.1"}
	if got := rows(t, p, "v2"); !slices.Equal(got, wantRows) || schemaVersion(t, p, "v2") != 3 {
		t.Fatalf("package rows %q, version %d; want %q, 3", got, schemaVersion(t, p, "v2"), wantRows)
	}
	insert := func(key string) error {
		_, err := p.Exec(t.Context(), `INSERT INTO v2_package SELECT id, 99, $1, 'nuget', '1.0' FROM v2_admission WHERE decision_id = 'd-other'`, key)
		return err
	}
	if err := insert("nuget/Newtonsoft.Json"); err == nil || !strings.Contains(err.Error(), "v2_package_nuget_lower") {
		t.Fatalf("an upper-case nuget key was stored after the migration: err = %v", err)
	}
	if err := insert("nuget/caf%C3%A9.json"); err != nil {
		t.Fatalf("a lower-case nuget key with a percent-escape was refused: %v", err)
	}
	if err := s.Record(t.Context(), inventorytest.Admission("d-new", "new", "pkg:nuget/System.Text.Json@8.0.0")); err != nil {
		t.Fatalf("a record after the migration: %v", err)
	}
}

// A migration that fails part-way (a row the constraint refuses is found
// after the keys were updated) leaves the tables as they were: no key
// changed, no version recorded.
func failedMigrationRollsBack(t *testing.T, p *pgxpool.Pool) {
	createSchema1(t, p, "bad", [4]string{"d-old", "pypi/zope.interface", "pypi", "5.5"}, [4]string{"d-old", "npm/a.b", "pypi", "1.0"})
	before := rows(t, p, "bad")
	if _, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("bad")); !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("New on a corrupt schema 1: err = %v, want ErrUnavailable", err)
	}
	if after := rows(t, p, "bad"); !slices.Equal(after, before) {
		t.Fatalf("rows after a failed migration: %q, want %q", after, before)
	}
	var exists bool
	if err := p.QueryRow(t.Context(), `SELECT to_regclass('bad_schema') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("the version table outlived the rolled-back migration: %v, %v", exists, err)
	}
}

// Tables of a newer schema version are refused, typed, before any
// statement changes them.
func refusesNewerSchema(t *testing.T, p *pgxpool.Pool) {
	if _, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("next")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(t.Context(), `UPDATE next_schema SET version = 4`); err != nil {
		t.Fatal(err)
	}
	_, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("next"))
	var fe *inventory.FormatError
	if !errors.As(err, &fe) || fe.Found != 4 || fe.Supported != 3 || !errors.Is(err, inventory.ErrFormat) || !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("New on schema 4: err = %v, want a *FormatError (4, 3) matching ErrFormat and ErrUnavailable", err)
	}
	if v := schemaVersion(t, p, "next"); v != 4 {
		t.Fatalf("version = %d after the refusal, want 4", v)
	}
}

// Rows of before the spelling column, and rows an older replica still
// running writes without it, read and match as before, with spelling
// unknown, beside records that keep theirs; no key changes.
func rowsWithoutSpelling(t *testing.T, p *pgxpool.Pool) {
	createSchema1(t, p, "sp", [4]string{"d-old", "golang/github.com/foo/bar", "golang", "v1.0.0"})
	s, err := pginventory.New(t.Context(), p, pginventory.WithTablePrefix("sp"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Exec(t.Context(), `INSERT INTO sp_package (admission, ord, pkey, ptype, version)
		SELECT id, 0, 'golang/github.com/foo/bar', 'golang', 'v1.0.0' FROM sp_admission WHERE decision_id = 'd-other'`)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(t.Context(), inventorytest.Admission("d-new", "new", "pkg:golang/github.com/Foo/bar@v1.0.0")); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:golang/github.com/foo/bar"})
	if err != nil || len(res.Admissions) != 3 {
		t.Fatalf("github.com/foo/bar: %+v, %v; want d-new, d-old and d-other", res, err)
	}
	for _, a := range res.Admissions {
		want := map[string]string{"d-new": "pkg:golang/github.com/Foo/bar@v1.0.0"}[a.DecisionID]
		if p := a.Packages; len(p) != 1 || p[0].PURL != "pkg:golang/github.com/foo/bar@v1.0.0" || p[0].Spelled != want {
			t.Fatalf("%s: packages %+v, want pkg:golang/github.com/foo/bar@v1.0.0 spelled %q", a.DecisionID, p, want)
		}
	}
	res, err = s.Query(t.Context(), inventory.Query{Digest: inventorytest.Digest("old")})
	want := []inventory.Package{{PURL: "pkg:golang/github.com/foo/bar@v1.0.0", Version: "v1.0.0"}}
	if err != nil || len(res.Admissions) != 1 || !slices.Equal(res.Admissions[0].Packages, want) {
		t.Fatalf("d-old by digest: %+v, %v; want packages %+v", res, err, want)
	}
	wantRows := []string{"d-old golang/github.com/foo/bar v1.0.0", "d-other golang/github.com/foo/bar v1.0.0", "d-new golang/github.com/foo/bar v1.0.0"}
	if got := rows(t, p, "sp"); !slices.Equal(got, wantRows) {
		t.Fatalf("package rows %q, want %q", got, wantRows)
	}
}

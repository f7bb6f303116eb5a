package pginventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/inventory/pginventory"
	"github.com/ztci/ztci/internal/itest"
)

// review37Hostile defines, in schema evil, what a role able to create
// objects in a schema on the store's search_path (public before
// PostgreSQL 15, or a schema of its own listed ahead of pg_catalog) could
// plant: text and bigint equality that is always true (every query by
// digest, builder, signer, key, revision or package selects every
// admission), text inequality that is always false, and an exact-match
// pg_advisory_xact_lock(int4) that runs the planter's code with the
// rights of the tables' owner (it records that it ran).
var review37Hostile = []string{
	`CREATE SCHEMA evil`,
	`CREATE TABLE evil.ran (what pg_catalog.text)`,
	`GRANT ALL ON evil.ran TO PUBLIC`,
	`CREATE FUNCTION evil.yes(pg_catalog.text, pg_catalog.text) RETURNS pg_catalog.bool LANGUAGE sql IMMUTABLE AS 'SELECT true'`,
	`CREATE FUNCTION evil.no(pg_catalog.text, pg_catalog.text) RETURNS pg_catalog.bool LANGUAGE sql IMMUTABLE AS 'SELECT false'`,
	`CREATE FUNCTION evil.yes8(pg_catalog.int8, pg_catalog.int8) RETURNS pg_catalog.bool LANGUAGE sql IMMUTABLE AS 'SELECT true'`,
	`CREATE OPERATOR evil.= (LEFTARG = pg_catalog.text, RIGHTARG = pg_catalog.text, FUNCTION = evil.yes)`,
	`CREATE OPERATOR evil.<> (LEFTARG = pg_catalog.text, RIGHTARG = pg_catalog.text, FUNCTION = evil.no)`,
	`CREATE OPERATOR evil.= (LEFTARG = pg_catalog.int8, RIGHTARG = pg_catalog.int8, FUNCTION = evil.yes8)`,
	`CREATE FUNCTION evil.pg_advisory_xact_lock(pg_catalog.int4) RETURNS void LANGUAGE sql AS $$INSERT INTO evil.ran VALUES ('lock')$$`,
	`CREATE FUNCTION evil.split_part(pg_catalog.text, pg_catalog.text, pg_catalog.int4) RETURNS pg_catalog.text LANGUAGE sql IMMUTABLE AS $$SELECT ''::pg_catalog.text$$`,
	`GRANT USAGE ON SCHEMA evil TO PUBLIC`,
}

func review37Pool(t *testing.T, pg *itest.Postgres, searchPath string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	if searchPath != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = searchPath
	}
	cfg.MaxConns = 4
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestReview37HostileSearchPath: the store's statements named their
// tables, operators (=, <>, IN), functions (split_part,
// pg_advisory_xact_lock, hashtext) and types without a schema, which
// PostgreSQL resolves through the session's search_path. Whoever could
// create objects in a schema that precedes pg_catalog there changed what
// the index answers: a revocation's query by digest, signer or package
// returned every admission, or (split_part) none of those a builder built
// at a ref; and New ran the planter's function as the tables' owner.
func TestReview37HostileSearchPath(t *testing.T) {
	t.Parallel()
	pg := itest.StartPostgres(t, 20)
	ctx := t.Context()
	admin := review37Pool(t, pg, "")
	for _, q := range review37Hostile {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	hostile := review37Pool(t, pg, "evil, pg_catalog, public")
	s, err := pginventory.New(ctx, hostile, pginventory.WithTablePrefix("hostile"))
	if err != nil {
		t.Fatal(err)
	}
	var ran int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM evil.ran`).Scan(&ran); err != nil || ran != 0 {
		t.Errorf("New ran the planted function %d times (%v)", ran, err)
	}
	recs := []inventory.Admission{
		{DecisionID: "a", Digest: inventorytest.Digest("a"), Time: inventorytest.T0, PolicyRevision: "r1",
			Builders: []string{"https://b.example/one@refs/tags/v1", "https://b.example/two@v2"},
			Signers:  []inventory.Signer{{Issuer: "i", SAN: "san-a", KeyID: "key-a"}},
			Packages: []inventory.Package{{PURL: "pkg:npm/left-pad@1.0.0"}}},
		{DecisionID: "b", Digest: inventorytest.Digest("b"), Time: inventorytest.T0.Add(1), PolicyRevision: "r2",
			Builders: []string{"https://b.example/three"},
			Signers:  []inventory.Signer{{Issuer: "i", SAN: "san-b", KeyID: "key-b"}},
			Packages: []inventory.Package{{PURL: "pkg:npm/right-pad@1.0.0"}}},
	}
	for _, a := range recs {
		if err := s.Record(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		q    inventory.Query
		want []string
	}{
		{"digest", inventory.Query{Digest: inventorytest.Digest("a")}, []string{"a"}},
		{"signer", inventory.Query{Signer: "san-b"}, []string{"b"}},
		{"key", inventory.Query{KeyID: "key-a"}, []string{"a"}},
		{"revision", inventory.Query{PolicyRevision: "r2"}, []string{"b"}},
		{"builder at any ref", inventory.Query{Builder: "https://b.example/one"}, []string{"a"}},
		{"further builder at any ref", inventory.Query{Builder: "https://b.example/two"}, []string{"a"}},
		{"package", inventory.Query{Package: "pkg:npm/left-pad"}, []string{"a"}},
		{"package and digest", inventory.Query{Package: "pkg:npm/left-pad", Digest: inventorytest.Digest("b")}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.Query(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range r.Admissions {
				got = append(got, a.DecisionID)
				for _, sg := range a.Signers {
					if want := "san-" + a.DecisionID; sg.SAN != want {
						t.Errorf("%s lists signer %q, want %q", a.DecisionID, sg.SAN, want)
					}
				}
			}
			if len(got) != len(c.want) || len(got) > 0 && got[0] != c.want[0] {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}

	// A type named text ahead of pg_catalog's: the columns New creates
	// are still pg_catalog.text (else Record of any admission fails: the
	// gate denies every deploy).
	t.Run("type named text", func(t *testing.T) {
		if _, err := admin.Exec(ctx, `CREATE DOMAIN evil.text AS pg_catalog.int4`); err != nil {
			t.Fatal(err)
		}
		s, err := pginventory.New(ctx, hostile, pginventory.WithTablePrefix("typed"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Record(ctx, recs[0]); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.typed_admission'::regclass
			AND atttypid = 'pg_catalog.text'::regtype`).Scan(&n); err != nil || n != 6 {
			t.Fatalf("text columns of typed_admission: %d (%v), want 6", n, err)
		}
	})
}

// TestReview37TablesShadowed: a table of the store's name that the
// session's search_path resolves ahead of the configured schema's (a
// fleet that kept its index in a schema named after its role, or one
// someone planted) is refused with ErrConfig: replicas would otherwise
// read and write different indexes, and an incident query on one would
// miss what the others admitted.
func TestReview37TablesShadowed(t *testing.T) {
	t.Parallel()
	pg := itest.StartPostgres(t, 20)
	ctx := t.Context()
	admin := review37Pool(t, pg, "")
	for _, q := range []string{`CREATE SCHEMA other`, `CREATE TABLE other.shadow_admission (x pg_catalog.int4)`} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	p := review37Pool(t, pg, "other, public")
	if _, err := pginventory.New(ctx, p, pginventory.WithTablePrefix("shadow")); !errors.Is(err, pginventory.ErrConfig) {
		t.Fatalf("New with a shadowing table: %v, want ErrConfig", err)
	}
	// Named, the schema holds the index whatever the search_path.
	if _, err := admin.Exec(ctx, `DROP TABLE other.shadow_admission`); err != nil {
		t.Fatal(err)
	}
	s, err := pginventory.New(ctx, p, pginventory.WithTablePrefix("shadow"), pginventory.WithSchema("other"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, inventory.Admission{DecisionID: "d", Digest: inventorytest.Digest("d"), Time: inventorytest.T0}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM other.shadow_admission`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("other.shadow_admission rows: %d (%v), want 1", n, err)
	}
}

func TestReview37SchemaOption(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, schema string }{{"empty", ""}, {"upper", "Public"}, {"pg_", "pg_catalog"}, {"quote", `a"b`}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := pginventory.New(t.Context(), &pgxpool.Pool{}, pginventory.WithSchema(c.schema)); !errors.Is(err, pginventory.ErrConfig) {
				t.Fatalf("WithSchema(%q): %v, want ErrConfig", c.schema, err)
			}
		})
	}
}

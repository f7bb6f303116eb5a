package pgreplay_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/oidc/pgreplay"
	"github.com/ztci/ztci/internal/itest"
)

// A table created ahead without a usable unique index on key was accepted
// by New, and then every claim failed (ON CONFLICT has no arbiter): the
// fleet refused every token at run time instead of at start. A partial or
// deferrable unique index is no arbiter either. New must refuse them all
// with ErrConfig.
func TestReview21NewRefusesTableWithoutKey(t *testing.T) {
	pg := itest.StartPostgres(t, 20)
	p := pool(t, pg)
	ctx := t.Context()
	for name, qs := range map[string][]string{
		"t_nokey": {`CREATE TABLE t_nokey (key bytea, until timestamptz NOT NULL)`},
		"t_partial": {`CREATE TABLE t_partial (key bytea, until timestamptz NOT NULL)`,
			`CREATE UNIQUE INDEX t_partial_u ON t_partial (key) WHERE until > '2000-01-01'`},
		"t_deferred": {`CREATE TABLE t_deferred (key bytea UNIQUE DEFERRABLE INITIALLY DEFERRED, until timestamptz NOT NULL)`},
		"t_pair":     {`CREATE TABLE t_pair (key bytea, until timestamptz NOT NULL, PRIMARY KEY (key, until))`},
	} {
		for _, q := range qs {
			if _, err := p.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		rc, err := pgreplay.New(ctx, p, pgreplay.WithTable(name))
		if !errors.Is(err, pgreplay.ErrConfig) {
			t.Errorf("New on %s: %v, want ErrConfig", name, err)
		}
		if rc != nil {
			rc.Close()
		}
	}
}

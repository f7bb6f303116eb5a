package pgreplay_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc/pgreplay"
	"github.com/ztci/ztci/internal/itest"
)

// A table created ahead by an administrator was used whatever its shape.
// An UNLOGGED table is emptied by a crash (every spent token accepted
// again); an until column without a time zone stores the wall clock of the
// zone each replica's times are in (pgx writes a time as its own zone
// shows it), so a replica whose zone is ahead of the claiming one's reads
// the live claim as expired and takes it over: the token is accepted
// twice. New must refuse both with ErrConfig, and keep accepting the table
// it creates itself.
func TestReview16NewRefusesTableThatCannotKeepClaims(t *testing.T) {
	pg := itest.StartPostgres(t, 20)
	p := pool(t, pg)
	ctx := t.Context()
	for _, q := range []string{
		`CREATE UNLOGGED TABLE t_unlogged (key bytea PRIMARY KEY, until timestamptz NOT NULL)`,
		`CREATE TABLE t_naive (key bytea PRIMARY KEY, until timestamp NOT NULL)`,
	} {
		if _, err := p.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if rc, err := pgreplay.New(ctx, p, pgreplay.WithTable("t_unlogged")); !errors.Is(err, pgreplay.ErrConfig) {
		t.Errorf("New on an UNLOGGED table: %v, want ErrConfig", err)
		if rc != nil {
			rc.Close()
		}
	}

	// Two replicas, one whose times are in UTC, one in UTC+5, at the same
	// instant.
	now := time.Now().UTC().Truncate(time.Second)
	east := time.FixedZone("UTC+5", 5*3600)
	west, werr := pgreplay.New(ctx, p, pgreplay.WithTable("t_naive"), pgreplay.WithClock(func() time.Time { return now }))
	ahead, aerr := pgreplay.New(ctx, p, pgreplay.WithTable("t_naive"), pgreplay.WithClock(func() time.Time { return now.In(east) }))
	if !errors.Is(werr, pgreplay.ErrConfig) || !errors.Is(aerr, pgreplay.ErrConfig) {
		t.Errorf("New on a table whose until has no time zone: %v, %v, want ErrConfig", werr, aerr)
	}
	if werr == nil && aerr == nil {
		defer west.Close()
		defer ahead.Close()
		const key = "https://ci.example.com\x00jti-1"
		until := now.Add(time.Hour)
		first, second := west.Claim(ctx, key, until), ahead.Claim(ctx, key, until.In(east))
		t.Logf("one token claimed on two replicas of the accepted table: %v, then %v", first, second)
	}

	rc, err := pgreplay.New(ctx, p, pgreplay.WithTable("t_own"))
	if err != nil {
		t.Fatalf("New on the table it creates: %v", err)
	}
	rc.Close()
	if rc, err = pgreplay.New(ctx, p, pgreplay.WithTable("t_own")); err != nil {
		t.Fatalf("New on the table it created before: %v", err)
	}
	rc.Close()
}

package fleettest_test

import (
	"testing"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/policy/gate/internal/fleettest"
)

// TestPostgresFleet runs three gate replica processes whose replay store is
// one PostgreSQL table, and presents 1,000 tokens, each to every replica at
// once. This fleet has no kill switch (natskill lives on NATS, and the NATS
// fleet tests it): it is about the replay table.
func TestPostgresFleet(t *testing.T) {
	pg := itest.StartPostgres(t, 100)
	// 16 connections per replica: 48 claims in flight queue briefly.
	f := startFleet(t, []string{fleettest.EnvReplay + "=postgres", fleettest.EnvPostgres + "=" + pg.AdminDSN() + "&pool_max_conns=16"},
		func(int) []string { return nil })
	thousandTokens(t, f, "PostgreSQL")
}

package pglease_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/pglease"
)

// stallProxy forwards TCP between pgx and PostgreSQL. Once armed, the
// first connection whose client sends bytes containing the trigger still
// has those bytes delivered to the server, but never again hears from it:
// the server carries the statement out and its answer is lost, as when a
// context ends or a network breaks just after a statement was sent.
type stallProxy struct {
	ln     net.Listener
	server string

	mu      sync.Mutex
	trigger []byte
	fired   bool
}

func newStallProxy(t *testing.T, server string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, server: server}
	var wg sync.WaitGroup
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			conns.Store(c, nil)
			conns.Store(s, nil)
			var stalled sync.Mutex // held while deciding; stalledFlag guarded by it
			stalledFlag := false
			wg.Go(func() { // client -> server
				defer s.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if p.hit(buf[:n]) {
							stalled.Lock()
							stalledFlag = true
							stalled.Unlock()
						}
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
			wg.Go(func() { // server -> client
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := s.Read(buf)
					stalled.Lock()
					drop := stalledFlag
					stalled.Unlock()
					if n > 0 && !drop {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	return p
}

func (p *stallProxy) arm(trigger string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trigger, p.fired = []byte(trigger), false
}

func (p *stallProxy) hit(b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.trigger == nil || p.fired || !bytes.Contains(b, p.trigger) {
		return false
	}
	p.fired = true
	return true
}

func (p *stallProxy) didFire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fired
}

// TestReview31ClaimLostAnswerStrandsNothing: Claim's UPDATE committed on
// its own, so a claim whose answer never arrived (its context ended, the
// connection broke) failed, the reaper revoked nothing, and yet the rows
// were marked claimed: no reaper could claim the dead runner's leases
// again until the claim's TTL passed. Now a Claim that returns an error
// has claimed nothing: its statement commits only after every row was
// read, and when the commit's answer is what got lost, Claim gives the
// batch's rows back.
func TestReview31ClaimLostAnswerStrandsNothing(t *testing.T) {
	s := itest.StartPostgres(t, 30)
	admin := pool(t, s)
	proxy := newStallProxy(t, itest.Addr(s.Port))
	cfg, err := pgxpool.ParseConfig(s.DSN("postgres", itest.PostgresPassword))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(proxy.ln.Addr().String())
	cfg.ConnConfig.Host = host
	portN, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Port = uint16(portN)
	viaProxy, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(viaProxy.Close)

	for i, tc := range []struct {
		name    string
		trigger string // what the lost statement carries
	}{
		// The claimer travels as a parameter of the UPDATE's execution.
		{name: "update answer lost", trigger: "stalled-reaper"},
		{name: "commit answer lost", trigger: "commit\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			table := []string{"lost_update", "lost_end"}[i]
			reg, err := pglease.New(ctx, viaProxy, pglease.WithTable(table), pglease.WithTimeout(500*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.Register(ctx, leasetest.Record("dead-"+table, "dead-runner")); err != nil {
				t.Fatal(err)
			}
			proxy.arm(tc.trigger)
			claims, err := reg.Claim(ctx, "stalled-reaper", time.Hour, 10)
			if !proxy.didFire() {
				t.Skip("the statement never went through the proxy's trigger")
			}
			if err == nil {
				t.Fatalf("Claim whose answer was lost returned %+v", claims)
			}
			if !errors.Is(err, pglease.ErrUnavailable) || !errors.Is(err, secrets.ErrLeaseRegistry) {
				t.Fatalf("Claim: %v, want ErrUnavailable", err)
			}
			// Wait for the stalled session's transaction to end (the server
			// notices the closed connection), so that nothing holds the row.
			waitNoLocks(t, admin, table)
			var claimed bool
			if err := admin.QueryRow(ctx, `SELECT claim_token IS NOT NULL FROM public.`+table).Scan(&claimed); err != nil {
				t.Fatal(err)
			}
			if claimed {
				t.Fatal("the failed claim left the dead runner's lease claimed until its TTL")
			}
			again, err := reg.Claim(ctx, "reaper-2", time.Hour, 10)
			if err != nil || len(again) != 1 {
				t.Fatalf("Claim after a failed claim: %+v (%v), want the dead runner's lease", again, err)
			}
		})
	}
}

// waitNoLocks waits until no transaction holds a lock on table.
func waitNoLocks(t *testing.T, admin *pgxpool.Pool, table string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		var n int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE c.relname = $1 AND l.pid <> pg_backend_pid()`, table).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("table %s still locked", table)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

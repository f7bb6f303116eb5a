package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultLeaseHeartbeat is how long one heartbeat of a broker keeps its
// leases safe from the fleet's reapers, unless [WithLeaseHeartbeat] says
// otherwise.
const DefaultLeaseHeartbeat = 30 * time.Second

// WithLeaseRegistry records every lease the broker issues in reg, the
// lease registry the fleet shares, under owner (this broker instance; unique
// per process, e.g. host name, process id and start time) and backend (the
// name under which the fleet's reapers, each a [Reaper], know this
// broker's backend).
//
// The lease is registered before the backend is asked for it, and again
// under the backend's id when the backend names the lease itself; if the
// registry cannot record it, the lease is revoked, the issuance is audited
// as failed and the job gets an error wrapping [ErrLeaseRegistry]: no
// secret leaves the broker unregistered. While it holds registered leases
// the broker heartbeats owner every third of the heartbeat ttl
// ([WithLeaseHeartbeat]) from one goroutine, which ends when the last
// lease is released; a revoked lease is released from the registry. If this
// process dies, its heartbeat lapses and any node's [Reaper] revokes its
// leases. If the broker cannot heartbeat for a whole ttl (e.g. cut off from
// the registry), the fleet may revoke its leases while its jobs still run:
// losing a credential is the safe side.
func WithLeaseRegistry(reg LeaseRegistry, owner, backend string) Option {
	return func(c *config) error {
		if reg == nil {
			return fmt.Errorf("%w: WithLeaseRegistry: nil registry", ErrConfig)
		}
		if err := checkLeaseField("owner", owner); err != nil {
			return fmt.Errorf("%w: WithLeaseRegistry: %w", ErrConfig, err)
		}
		if err := checkLeaseField("backend", backend); err != nil {
			return fmt.Errorf("%w: WithLeaseRegistry: %w", ErrConfig, err)
		}
		c.registry.reg, c.registry.owner, c.registry.backend = reg, owner, backend
		return nil
	}
}

// WithLeaseHeartbeat sets how long one heartbeat keeps the broker's
// registered leases alive (default [DefaultLeaseHeartbeat]): a reaper
// revokes them once this long has passed without a heartbeat. The broker
// heartbeats every third of it. It needs [WithLeaseRegistry].
func WithLeaseHeartbeat(ttl time.Duration) Option {
	return func(c *config) error {
		if ttl < 3*time.Millisecond {
			return fmt.Errorf("%w: WithLeaseHeartbeat: ttl %v is too short", ErrConfig, ttl)
		}
		c.registry.ttl, c.registry.heartbeatSet = ttl, true
		return nil
	}
}

// leaseRegistryConfig is what WithLeaseRegistry and WithLeaseHeartbeat set;
// New makes the broker's leaseOwner from it.
type leaseRegistryConfig struct {
	reg            LeaseRegistry
	owner, backend string
	ttl            time.Duration
	heartbeatSet   bool
}

// leaseOwner registers a broker's leases and heartbeats for them. Its
// methods are no-ops on a nil receiver (no registry configured).
type leaseOwner struct {
	reg     LeaseRegistry
	owner   string
	backend string
	ttl     time.Duration
	log     *slog.Logger

	mu     sync.Mutex
	held   map[string][]string // reserved lease id -> registered lease ids
	beat   time.Time           // when the last successful heartbeat began
	cancel context.CancelFunc  // stops the heartbeat loop, nil when none
	done   chan struct{}       // closed when the loop has returned
}

func (o *leaseOwner) every() time.Duration { return o.ttl / 3 }

// register records the lease reserved for j before the backend is asked,
// heartbeating first unless a heartbeat succeeded within the last interval.
func (o *leaseOwner) register(ctx context.Context, j *Job, reserved, name string, expires time.Time) error {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	o.held[reserved] = nil
	if o.cancel == nil {
		o.startLocked()
	}
	fresh := !o.beat.IsZero() && time.Since(o.beat) < o.every()
	o.mu.Unlock()
	if !fresh {
		if err := o.heartbeat(ctx); err != nil {
			o.forget(reserved)
			return fmt.Errorf("secrets: issue %q: heartbeat before registering the lease: %w", name, err)
		}
	}
	if err := o.add(ctx, j, reserved, reserved, name, expires); err != nil {
		o.forget(reserved)
		return err
	}
	return nil
}

// bind registers the backend's own id for a lease registered as reserved.
func (o *leaseOwner) bind(ctx context.Context, j *Job, reserved, leaseID, name string, expires time.Time) error {
	if o == nil {
		return nil
	}
	return o.add(ctx, j, reserved, leaseID, name, expires)
}

func (o *leaseOwner) add(ctx context.Context, j *Job, reserved, leaseID, name string, expires time.Time) error {
	rec := LeaseRecord{LeaseID: leaseID, Backend: o.backend, Name: name, JobID: j.spec.ID,
		Identity: j.spec.Identity.ID(), Owner: o.owner, ExpiresAt: expires}
	if !rec.ExpiresAt.IsZero() {
		rec.ExpiresAt = rec.ExpiresAt.UTC()
	}
	if err := o.reg.Register(ctx, rec); err != nil {
		return fmt.Errorf("%w: register lease %s of secret %q: %w", ErrLeaseRegistry, leaseID, name, err)
	}
	o.mu.Lock()
	if ids, ok := o.held[reserved]; ok {
		o.held[reserved] = append(ids, leaseID)
	}
	o.mu.Unlock()
	return nil
}

// release removes every record registered for the lease reserved as
// reserved, after it was revoked. Records it cannot remove stay in the
// registry; once this owner stops heartbeating, a reaper revokes them
// again (idempotently) and removes them.
func (o *leaseOwner) release(ctx context.Context, reserved string) error {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	ids := o.held[reserved]
	o.mu.Unlock()
	var errs []error
	for _, id := range ids {
		if err := o.reg.Release(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("%w: release lease %s: %w", ErrLeaseRegistry, id, err))
		}
	}
	o.forget(reserved)
	return errors.Join(errs...)
}

// forget drops reserved from the held set and stops heartbeating when
// nothing is held any more.
func (o *leaseOwner) forget(reserved string) {
	o.mu.Lock()
	delete(o.held, reserved)
	var cancel context.CancelFunc
	var done chan struct{}
	if len(o.held) == 0 && o.cancel != nil {
		cancel, done = o.cancel, o.done
		o.cancel, o.done = nil, nil
	}
	o.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (o *leaseOwner) startLocked() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	o.cancel, o.done = cancel, done
	go o.loop(ctx, done)
}

func (o *leaseOwner) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(o.every())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := o.heartbeat(ctx); err != nil && ctx.Err() == nil {
			o.mu.Lock()
			last := o.beat
			o.mu.Unlock()
			if time.Since(last) >= o.ttl {
				o.log.ErrorContext(ctx, "secrets: lease heartbeat lapsed; the fleet may revoke this broker's leases", "owner", o.owner, "err", err)
			} else {
				o.log.WarnContext(ctx, "secrets: lease heartbeat failed", "owner", o.owner, "err", err)
			}
		}
	}
}

// heartbeat tells the registry the owner is alive for ttl, bounded by one
// interval so that a hung registry cannot stall the loop.
func (o *leaseOwner) heartbeat(ctx context.Context) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.every())
	defer cancel()
	if err := o.reg.Heartbeat(ctx, o.owner, o.ttl); err != nil {
		return fmt.Errorf("%w: heartbeat of owner %s: %w", ErrLeaseRegistry, o.owner, err)
	}
	o.mu.Lock()
	if start.After(o.beat) {
		o.beat = start
	}
	o.mu.Unlock()
	return nil
}

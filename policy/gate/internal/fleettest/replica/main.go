// Command replica is one deploy-gate replica of fleettest's fleet: the real
// policy/gate behind gate.NewServer on 127.0.0.1, whose job tokens are
// single-use across the fleet (identity/oidc/natsreplay or pgreplay) and
// which, with NATS, denies the identities marked on the fleet kill switch
// (audit/natskill). It prints fleettest.ReadyPrefix and its address once it
// serves, and serves until it is killed.
//
// Configuration comes from the environment (fleettest.Env*), so that no
// credential shows in the process list.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/identity/oidc/pgreplay"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/policy/gate/internal/fleettest"
	"github.com/ztci/ztci/verify"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		os.Exit(1)
	}
}

// step reports setup progress on stderr, which the test prints when a
// replica does not become ready: a setup that hangs says where.
func step(what string) {
	fmt.Fprintf(os.Stderr, "replica: %s %s\n", time.Now().Format("15:04:05.000"), what)
}

func run() error {
	// Setup is bounded; serving is not. What setup opens (connections, the
	// switch's goroutines, the policy engine) lives as long as the process.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	timeout, err := time.ParseDuration(os.Getenv(fleettest.EnvReplayTimeout))
	if err != nil {
		return fmt.Errorf("%s: %w", fleettest.EnvReplayTimeout, err)
	}
	f, err := os.OpenFile(os.Getenv(fleettest.EnvAudit), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	sink, err := audit.NewJSONLines(f)
	if err != nil {
		return err
	}

	var opts []gate.Option
	var js jetstream.JetStream
	if urls := os.Getenv(fleettest.EnvNATS); urls != "" {
		// Preferred node first, then fail over; reconnect for ever, so a
		// lost node costs a reconnect, not the replica.
		nc, err := nats.Connect(urls, nats.DontRandomize(), nats.MaxReconnects(-1),
			nats.ReconnectWait(50*time.Millisecond), nats.Timeout(time.Second),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			return err
		}
		step("connected to NATS at " + nc.ConnectedUrl())
		if js, err = jetstream.New(nc); err != nil {
			return err
		}
		staleAfter, err := time.ParseDuration(os.Getenv(fleettest.EnvKillStaleAfter))
		if err != nil {
			return fmt.Errorf("%s: %w", fleettest.EnvKillStaleAfter, err)
		}
		ks, err := natskill.New(ctx, js, sink, natskill.WithBucket(fleettest.KillBucket),
			natskill.WithReplicas(fleettest.BucketReplicas), natskill.WithStaleAfter(staleAfter))
		if err != nil {
			return err
		}
		step("kill switch ready")
		opts = append(opts, gate.WithRevocations(gate.Revocations{Jobs: ks}))
	}

	var rc oidc.ReplayCache
	switch store := os.Getenv(fleettest.EnvReplay); store {
	case "nats":
		if js == nil {
			return fmt.Errorf("replay store nats without %s", fleettest.EnvNATS)
		}
		rc, err = natsreplay.New(ctx, js, natsreplay.WithBucket(fleettest.ReplayBucket),
			natsreplay.WithReplicas(fleettest.BucketReplicas), natsreplay.WithTimeout(timeout))
	case "postgres":
		var pool *pgxpool.Pool
		if pool, err = pgxpool.New(ctx, os.Getenv(fleettest.EnvPostgres)); err != nil {
			return err
		}
		rc, err = pgreplay.New(ctx, pool, pgreplay.WithTimeout(timeout))
	default:
		return fmt.Errorf("%s=%q: want nats or postgres", fleettest.EnvReplay, store)
	}
	if err != nil {
		return err
	}
	step("replay cache ready")
	tokens, err := oidc.NewVerifier(os.Getenv(fleettest.EnvIssuer), gatetest.Audience, oidc.WithSingleUse(rc))
	if err != nil {
		return err
	}

	verifiers, libcfg, err := labTrust()
	if err != nil {
		return err
	}
	eng, err := policy.New(ctx, policy.BuiltinWith(libcfg))
	if err != nil {
		return err
	}
	// The fleet tests present every token as one job, as many at once as
	// the gate takes: that job may hold every decision slot.
	opts = append(opts, gate.WithRegistries(os.Getenv(fleettest.EnvRegistry)),
		gate.WithLimits(gate.Limits{MaxInFlightPerJob: gate.DefaultMaxInFlight}))
	g, err := gate.New(checkedTokens{tokens}, verifiers, eng, sink, opts...)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := gate.NewServer("", withTokenCheck(g.Handler()))
	fmt.Printf("%s%s\n", fleettest.ReadyPrefix, ln.Addr())
	return srv.Serve(ln)
}

// labTrust builds what gatetest.Lab's Verifiers and PolicyConfig build
// (without verify's result cache: the gate's image verifier caches
// verdicts), from the Lab's trusted root and issuer URL: a replica has
// those, not the Lab, which lives in the test process.
func labTrust() (gate.Verifiers, policy.LibraryConfig, error) {
	trJSON, err := os.ReadFile(os.Getenv(fleettest.EnvTrustedRoot))
	if err != nil {
		return nil, policy.LibraryConfig{}, err
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		return nil, policy.LibraryConfig{}, err
	}
	labIssuer := os.Getenv(fleettest.EnvLabIssuer)
	signer := verify.Identity{SAN: gatetest.SignerSAN, Issuer: labIssuer}
	// The Lab's CA logs nowhere: the RFC 3161 timestamp proves the time.
	vopts := []verify.Option{verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1)}
	prov, err := verify.New(trust, verify.Expectation{
		Signer: signer, PredicateType: attest.PredicateSLSAProvenanceV1,
		Provenance: &verify.Provenance{BuilderID: gatetest.BuilderID, BuildType: gatetest.BuildType, SourceRepository: gatetest.SourceURI},
	}, vopts...)
	if err != nil {
		return nil, policy.LibraryConfig{}, err
	}
	sbom, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateCycloneDX}, vopts...)
	if err != nil {
		return nil, policy.LibraryConfig{}, err
	}
	cfg := policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:    []policy.AllowedSigner{{SAN: gatetest.SignerSAN, Issuer: labIssuer}},
		Builders:   []string{gatetest.BuilderID},
		Sources:    []string{gatetest.SourceURI},
		SourceRefs: []string{"refs/heads/main"},
	}}
	return gate.Verifiers{attest.PredicateSLSAProvenanceV1: prov, attest.PredicateCycloneDX: sbom}, cfg, nil
}

// checkKey is the context key of a request's token-check slot.
type checkKey struct{}

// checkedTokens is the gate's token verifier, which also writes its verdict
// into the request's slot for the HeaderTokenCheck header: the gate itself
// answers every refusal with a bare 401.
type checkedTokens struct{ v *oidc.Verifier }

func (c checkedTokens) Verify(ctx context.Context, raw string) (identity.Identity, error) {
	id, err := c.v.Verify(ctx, raw)
	if slot, ok := ctx.Value(checkKey{}).(*string); ok {
		*slot = verdict(err)
	}
	return id, err
}

func verdict(err error) string {
	switch {
	case err == nil:
		return fleettest.CheckAccepted
	case errors.Is(err, oidc.ErrReplayed):
		return fleettest.CheckReplayed
	case errors.Is(err, natsreplay.ErrUnavailable), errors.Is(err, pgreplay.ErrUnavailable):
		return fleettest.CheckUnavailable
	default:
		return fleettest.CheckInvalid
	}
}

// withTokenCheck gives each request a slot for the token verifier's verdict
// and writes it as HeaderTokenCheck. The gate verifies the token on the
// handler's goroutine, before it writes the answer.
func withTokenCheck(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slot := new(string)
		h.ServeHTTP(&checkWriter{ResponseWriter: w, check: slot}, r.WithContext(context.WithValue(r.Context(), checkKey{}, slot)))
	})
}

type checkWriter struct {
	http.ResponseWriter
	check *string
}

func (w *checkWriter) WriteHeader(code int) {
	if *w.check != "" {
		w.Header().Set(fleettest.HeaderTokenCheck, *w.check)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets the gate's http.ResponseController reach the connection's
// read deadline.
func (w *checkWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

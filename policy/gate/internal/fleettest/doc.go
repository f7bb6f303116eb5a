// Package fleettest runs the deploy gate as a fleet of separate OS
// processes, so that what issue #13 asks of a fleet is tested across real
// process boundaries rather than between goroutines that share a heap: three
// gate replicas (the replica command, built by the test) share the
// single-use state of job tokens over a real 3-node NATS JetStream cluster,
// or over PostgreSQL, and a fleet kill switch (audit/natskill) over NATS.
//
// # What a replica runs
//
// Each replica is policy/gate itself — gate.New and its Handler behind
// gate.NewServer on 127.0.0.1 — not the token step alone: the admit path
// is reachable because the artifact side needs nothing per process. The
// test process runs one gatetest.Lab (registry, CA, TSA) and publishes one
// image; every replica trusts the Lab's trusted root and reads its
// registry, as the replicas of a real fleet share one registry and one
// trust root. The job tokens come from a separate OIDC issuer in the test
// process, served over HTTP: the replicas fetch its discovery document and
// JWKS like any relying party, and the test mints one token per request
// with whatever subject it needs (the Lab's own tokens all name one job).
// A replica's token verifier is oidc.Verifier with WithSingleUse on
// identity/oidc/natsreplay or identity/oidc/pgreplay; with NATS its gate
// also consults a natskill.Switch per decision (gate.WithRevocations).
//
// The gate answers 401 for every token it refuses, replayed or not: it
// tells a caller nothing about why. The tests must tell a replay (the
// fleet worked) from a claim that could not be decided (the fleet failed
// closed), so the replica's token verifier reports the verifier's verdict
// in the [HeaderTokenCheck] response header. That header is for this
// harness only; a production gate must not say why a token was refused.
//
// # Configuration
//
// The replica reads its configuration from the environment (Env*), so that
// the PostgreSQL password stays out of the process list, and prints
// [ReadyPrefix] and its address once it serves.
package fleettest

// HeaderTokenCheck is the replica's response header naming what its token
// verifier said: one of the Check* values.
const HeaderTokenCheck = "Fleet-Token-Check"

// Values of [HeaderTokenCheck].
const (
	// CheckAccepted: the token verified and this replica claimed it.
	CheckAccepted = "accepted"
	// CheckReplayed: another replica (or an earlier request) claimed it.
	CheckReplayed = "replayed"
	// CheckUnavailable: the shared replay store could not decide (fail
	// closed: the token is refused and may be spent).
	CheckUnavailable = "unavailable"
	// CheckInvalid: any other refusal (signature, claims, keys).
	CheckInvalid = "invalid"
)

// ReadyPrefix starts the line a replica prints once it serves, followed by
// its host:port.
const ReadyPrefix = "LISTEN "

// Environment of the replica command.
const (
	// EnvIssuer is the job-token issuer URL (its JWKS is fetched over HTTP).
	EnvIssuer = "ZTCI_REPLICA_ISSUER"
	// EnvLabIssuer is the gatetest.Lab's issuer URL, the issuer of the
	// signing certificates policy trusts.
	EnvLabIssuer = "ZTCI_REPLICA_LAB_ISSUER"
	// EnvTrustedRoot is the path of the Lab's trusted_root.json.
	EnvTrustedRoot = "ZTCI_REPLICA_TRUSTED_ROOT"
	// EnvRegistry is the Lab's registry host, the only one the gate reads.
	EnvRegistry = "ZTCI_REPLICA_REGISTRY"
	// EnvReplay is the replay store: "nats" or "postgres".
	EnvReplay = "ZTCI_REPLICA_REPLAY"
	// EnvReplayTimeout bounds each claim (a Go duration).
	EnvReplayTimeout = "ZTCI_REPLICA_REPLAY_TIMEOUT"
	// EnvNATS is the NATS URLs, comma-separated, this replica's preferred
	// node first. When set, the gate consults the fleet kill switch.
	EnvNATS = "ZTCI_REPLICA_NATS"
	// EnvKillStaleAfter is the kill switch's stale bound
	// (natskill.WithStaleAfter, a Go duration); required with EnvNATS.
	EnvKillStaleAfter = "ZTCI_REPLICA_KILL_STALE_AFTER"
	// EnvPostgres is the PostgreSQL DSN of the replay table.
	EnvPostgres = "ZTCI_REPLICA_PG"
	// EnvAudit is the path of the replica's JSON Lines audit log.
	EnvAudit = "ZTCI_REPLICA_AUDIT"
)

// Names shared by the test process, which creates the buckets before the
// replicas start, and the replicas.
const (
	ReplayBucket = "fleet_replay"
	KillBucket   = "fleet_kill"
	// Replicas of each bucket: one per node, so losing a node loses no
	// claim and no mark.
	BucketReplicas = 3
)

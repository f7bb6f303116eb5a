package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy/gate"
)

const review28Issuer = "https://ci.review28.example"

// review28Tokens returns an issuer and a single-use verifier of its tokens
// for audience "deploy".
func review28Tokens(t *testing.T) (*oidc.Issuer, *oidc.Verifier) {
	t.Helper()
	iss, err := oidc.NewIssuer(review28Issuer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := oidc.NewVerifier(review28Issuer, "deploy", oidc.WithKeySet(iss.KeySet()),
		oidc.WithSingleUse(oidc.NewMemoryReplayCache(64, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return iss, v
}

// review28Mint mints a token of a job of repository repo ("owner/name")
// on branch.
func review28Mint(t *testing.T, iss *oidc.Issuer, repo, branch string) gate.Token {
	t.Helper()
	tok, err := iss.Mint(t.Context(), oidc.Job{Claims: identity.Claims{Repository: repo, Ref: "refs/heads/" + branch, RefProtected: true, RunID: "7"}}, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	return gate.NewToken(tok.Reveal())
}

func review28Request(t *testing.T, tok gate.Token) gate.Request {
	return gate.Request{JobToken: tok, Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
}

// TestReview28BusyJobKeepsToken: a job whose slot (or its repository's,
// or its owner's) is taken is refused with ErrJobBusy and retries. Before,
// the single-use token had been spent by the verification that preceded
// the slot, so the retry was refused as a replay and the job had lost its
// deploy. The token is now spent only once the slots are taken: the retry
// with the same token is decided.
func TestReview28BusyJobKeepsToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		limits     gate.Limits
		held, busy [2]string // repository and branch
		http       bool
	}{
		{name: "job", limits: gate.Limits{MaxInFlightPerJob: 1}, held: [2]string{"acme/app", "main"}, busy: [2]string{"acme/app", "main"}},
		{name: "job over http", limits: gate.Limits{MaxInFlightPerJob: 1}, held: [2]string{"acme/app", "main"}, busy: [2]string{"acme/app", "main"}, http: true},
		{name: "repository", limits: gate.Limits{MaxInFlightPerJob: 1, MaxInFlightPerRepository: 1, MaxInFlightPerOwner: 8},
			held: [2]string{"acme/app", "b1"}, busy: [2]string{"acme/app", "b2"}},
		{name: "owner", limits: gate.Limits{MaxInFlightPerJob: 1, MaxInFlightPerRepository: 1, MaxInFlightPerOwner: 1},
			held: [2]string{"acme/r1", "main"}, busy: [2]string{"acme/r2", "main"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss, v := review28Tokens(t)
			p := &heldPolicy{entered: make(chan struct{}, 4), release: make(chan struct{})}
			g, err := gate.New(v, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, p, &memSink{}, gate.WithLimits(tc.limits))
			if err != nil {
				t.Fatal(err)
			}
			held := make(chan error, 1)
			go func() {
				_, err := g.Decide(t.Context(), review28Request(t, review28Mint(t, iss, tc.held[0], tc.held[1])))
				held <- err
			}()
			<-p.entered
			tok := review28Mint(t, iss, tc.busy[0], tc.busy[1])
			if tc.http {
				body, err := gate.EncodeRequest(review28Request(t, tok))
				if err != nil {
					t.Fatal(err)
				}
				r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, gate.PathAdmit, strings.NewReader(string(body)))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				g.Handler().ServeHTTP(w, r)
				if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
					t.Fatalf("busy job over HTTP: %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
				}
			} else if _, err := g.Decide(t.Context(), review28Request(t, tok)); !errors.Is(err, gate.ErrJobBusy) {
				t.Fatalf("while busy: %v, want ErrJobBusy", err)
			}
			close(p.release)
			if err := <-held; err != nil {
				t.Fatalf("held decision: %v", err)
			}
			// Retry-After honoured: the same token is decided.
			d, err := g.Decide(t.Context(), review28Request(t, tok))
			if err != nil || !d.Allowed {
				t.Fatalf("retry with the same token after the slot freed: %s, %v; want allowed", d, err)
			}
			// And it was spent then: a replay is refused.
			if _, err := g.Decide(t.Context(), review28Request(t, tok)); !errors.Is(err, gate.ErrUnauthenticated) {
				t.Fatalf("replay of the spent token: %v, want ErrUnauthenticated", err)
			}
		})
	}
}

// TestReview28OneTokenDecidedOnce: concurrent requests with one
// single-use token may all verify and all take slots, but only one spend
// succeeds: exactly one is decided, the others are refused as
// unauthenticated, and their slots are given back.
func TestReview28OneTokenDecidedOnce(t *testing.T) {
	t.Parallel()
	const n = 4
	iss, v := review28Tokens(t)
	// In each round, every spend waits until all n requests hold their
	// slots (or one of them was refused before it got there).
	var mu sync.Mutex
	var arrived, all chan struct{}
	tv := identity.DeferredTokenVerifierFunc(func(ctx context.Context, raw string) (identity.Identity, func(context.Context) error, error) {
		id, spend, err := v.VerifyDeferred(ctx, raw)
		if err != nil {
			return id, nil, err
		}
		return id, func(ctx context.Context) error {
			mu.Lock()
			a, w := arrived, all
			mu.Unlock()
			a <- struct{}{}
			<-w
			return spend(ctx)
		}, nil
	})
	sink := &memSink{}
	g, err := gate.New(tv, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, &allowVerified{}, sink,
		gate.WithLimits(gate.Limits{MaxInFlightPerJob: n}))
	if err != nil {
		t.Fatal(err)
	}
	// round sends one request per token at once and returns their errors.
	round := func(toks ...gate.Token) []error {
		mu.Lock()
		arrived, all = make(chan struct{}, len(toks)), make(chan struct{})
		a, w := arrived, all
		mu.Unlock()
		errs := make(chan error, len(toks))
		for _, tok := range toks {
			go func() { _, err := g.Decide(t.Context(), review28Request(t, tok)); errs <- err }()
		}
		var out []error
		for range toks {
			select {
			case <-a:
			case err := <-errs:
				out = append(out, err)
				t.Errorf("a request was answered before every request held its slots: %v", err)
			}
		}
		close(w)
		for len(out) < len(toks) {
			out = append(out, <-errs)
		}
		return out
	}
	tok := review28Mint(t, iss, "acme/app", "main")
	decided := 0
	for _, err := range round(tok, tok, tok, tok) {
		switch {
		case err == nil:
			decided++
		case !errors.Is(err, gate.ErrUnauthenticated):
			t.Errorf("request: %v, want decided or ErrUnauthenticated", err)
		}
	}
	if decided != 1 {
		t.Fatalf("%d requests with one single-use token were decided, want exactly 1", decided)
	}
	if got := len(sink.all()); got != n {
		t.Fatalf("%d audit events, want %d (one per request)", got, n)
	}
	// The refused requests' slots came back: n new tokens of the job hold
	// n slots at once, and each is decided.
	var fresh []gate.Token
	for range n {
		fresh = append(fresh, review28Mint(t, iss, "acme/app", "main"))
	}
	for _, err := range round(fresh...) {
		if err != nil {
			t.Fatalf("after the refusals: %v", err)
		}
	}
}

// TestReview28ForgedTokenTakesNoSlot: the slots are taken on a verified
// token only. A forged token naming a busy job (another key under the
// same issuer URL, a tampered signature) is refused as unauthenticated,
// not as busy, and leaves the job's slots alone.
func TestReview28ForgedTokenTakesNoSlot(t *testing.T) {
	t.Parallel()
	iss, v := review28Tokens(t)
	forger, err := oidc.NewIssuer(review28Issuer)
	if err != nil {
		t.Fatal(err)
	}
	p := &heldPolicy{entered: make(chan struct{}, 4), release: make(chan struct{})}
	g, err := gate.New(v, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, p, &memSink{},
		gate.WithLimits(gate.Limits{MaxInFlightPerJob: 1, MaxInFlightPerRepository: 1, MaxInFlightPerOwner: 1}))
	if err != nil {
		t.Fatal(err)
	}
	genuine := review28Mint(t, iss, "acme/app", "main").Reveal()
	for _, tc := range []struct {
		name string
		tok  string
	}{
		{name: "other key", tok: review28Mint(t, forger, "acme/app", "main").Reveal()},
		{name: "tampered signature", tok: genuine[:len(genuine)-4] + "AAAA"},
	} {
		// Not parallel: the cases share the held decision.
		held := make(chan error, 1)
		go func() {
			_, err := g.Decide(t.Context(), review28Request(t, review28Mint(t, iss, "acme/app", "main")))
			held <- err
		}()
		<-p.entered
		if _, err := g.Decide(t.Context(), review28Request(t, gate.NewToken(tc.tok))); !errors.Is(err, gate.ErrUnauthenticated) || errors.Is(err, gate.ErrJobBusy) {
			t.Fatalf("%s while the job is busy: %v, want ErrUnauthenticated", tc.name, err)
		}
		p.release <- struct{}{}
		if err := <-held; err != nil {
			t.Fatalf("%s: held decision: %v", tc.name, err)
		}
	}
}

// TestReview28RefusedRegistryKeepsToken: an image in a registry the gate
// does not read (a typo in its host) is refused once the token verified,
// so that the refusal names the job. Before, the single-use token had been
// spent by then and the corrected request was refused as a replay. It is
// now refused before the token is spent; the job retries with it.
func TestReview28RefusedRegistryKeepsToken(t *testing.T) {
	t.Parallel()
	iss, v := review28Tokens(t)
	sink := &memSink{}
	g, err := gate.New(v, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, &allowVerified{}, sink,
		gate.WithRegistries("registry.example"))
	if err != nil {
		t.Fatal(err)
	}
	tok := review28Mint(t, iss, "acme/app", "main")
	d, err := g.Decide(t.Context(), gate.Request{JobToken: tok, Image: "registy.example/app:v1"})
	if !errors.Is(err, gate.ErrRegistryNotAllowed) || d.Allowed {
		t.Fatalf("typo in the registry: %s, %v; want ErrRegistryNotAllowed", d, err)
	}
	if d.Job == "" || d.AuditID == "" {
		t.Fatalf("refusal %s: want it audited and naming the job", d)
	}
	if d, err := g.Decide(t.Context(), review28Request(t, tok)); err != nil || !d.Allowed {
		t.Fatalf("corrected request with the same token: %s, %v; want allowed", d, err)
	}
}

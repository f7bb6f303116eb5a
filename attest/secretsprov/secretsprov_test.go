package secretsprov_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// matchSchema validates doc against the package's JSON schema with OPA's
// json.match_schema (a draft-04/06/07 validator), not with our own parser.
func matchSchema(t *testing.T, doc []byte) (bool, []any) {
	t.Helper()
	var d, s any
	if err := json.Unmarshal(doc, &d); err != nil {
		return false, []any{err.Error()}
	}
	if err := json.Unmarshal(secretsprov.JSONSchema(), &s); err != nil {
		t.Fatalf("schema: %v", err)
	}
	rs, err := rego.New(rego.Query("r := json.match_schema(input.doc, input.schema)"),
		rego.Input(map[string]any{"doc": d, "schema": s})).Eval(t.Context())
	if err != nil || len(rs) != 1 {
		t.Fatalf("json.match_schema: %v %v", rs, err)
	}
	r := rs[0].Bindings["r"].([]any)
	return r[0].(bool), r[1].([]any)
}

func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/example-*.json")
	if len(files) < 2 {
		t.Fatalf("want at least two examples, have %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if ok, errs := matchSchema(t, b); !ok {
				t.Fatalf("the schema refuses the example: %v", errs)
			}
			p, err := secretsprov.Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := p.PredicateJSON()
			if err != nil {
				t.Fatalf("PredicateJSON: %v", err)
			}
			if ok, errs := matchSchema(t, out); !ok {
				t.Fatalf("the schema refuses what PredicateJSON writes: %v\n%s", errs, out)
			}
			again, err := secretsprov.Parse(out)
			if err != nil || !reflect.DeepEqual(normalize(again), normalize(p)) {
				t.Fatalf("round trip: %+v, %v; want %+v", again, err, p)
			}
		})
	}
}

// normalize puts times in UTC, as PredicateJSON writes them.
func normalize(p *secretsprov.Provenance) *secretsprov.Provenance {
	q := *p
	q.Credentials = nil
	for _, c := range p.Credentials {
		c.IssuedOn = c.IssuedOn.UTC()
		if c.RevokedOn != nil {
			r := c.RevokedOn.UTC()
			c.RevokedOn = &r
		}
		q.Credentials = append(q.Credentials, c)
	}
	return &q
}

// Every invalid fixture is refused by the schema and by Parse, with the
// sentinel that says why.
func TestInvalidRefused(t *testing.T) {
	t.Parallel()
	want := map[string]error{
		"invalid-credential-with-value.json":   secretsprov.ErrUnknownField,
		"invalid-unknown-top-level-field.json": secretsprov.ErrUnknownField,
		"invalid-missing-lease-id.json":        secretsprov.ErrMissingField,
		"invalid-missing-ref-protected.json":   secretsprov.ErrMissingField,
		"invalid-missing-credentials.json":     secretsprov.ErrMissingField,
		"invalid-ref-protected-string.json":    secretsprov.ErrMalformed,
		"invalid-lease-id-number.json":         secretsprov.ErrMalformed,
		"invalid-issued-on-not-rfc3339.json":   secretsprov.ErrMalformed,
		"invalid-null-backend.json":            secretsprov.ErrMalformed,
		"invalid-empty-secret.json":            secretsprov.ErrMissingField,
		"invalid-credentials-object.json":      secretsprov.ErrMalformed,
	}
	files, _ := filepath.Glob("testdata/invalid-*.json")
	if len(files) != len(want) {
		t.Fatalf("fixtures %v, table has %d", files, len(want))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := matchSchema(t, b); ok {
				t.Errorf("the schema accepts %s", name)
			}
			_, err = secretsprov.Parse(b)
			if !errors.Is(err, want[name]) || !errors.Is(err, attest.ErrInvalidPredicate) {
				t.Errorf("Parse = %v, want %v", err, want[name])
			}
			if err != nil && strings.Contains(err.Error(), "hunter2-canary") {
				t.Errorf("the error quotes a value: %v", err)
			}
		})
	}
}

const validJob = `"job":{"id":"j","identity":"https://ci.example#s","ref":"refs/heads/main","refProtected":true}`

func cred(fields string) string {
	return `{` + validJob + `,"credentials":[{"leaseId":"l1","backend":"vault","secret":"prod/x","decisionId":"evt-1","issuedOn":"2026-12-05T08:00:00Z"` + fields + `}]}`
}

// What a JSON schema cannot say, Parse still refuses.
func TestParseStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error // nil: accepted
	}{
		{"minimal", cred(""), nil},
		{"no credentials", `{` + validJob + `,"credentials":[]}`, nil},
		{"member in another case", cred(`,"LeaseID":"l2"`), secretsprov.ErrMalformed},
		{"top-level member in another case", `{` + validJob + `,"Credentials":[],"credentials":[]}`, secretsprov.ErrMalformed},
		{"repeated member", cred(`,"secret":"prod/y"`), secretsprov.ErrMalformed},
		{"trailing data", cred("") + `{}`, secretsprov.ErrMalformed},
		{"array", `[` + cred("") + `]`, secretsprov.ErrMalformed},
		{"revoked before issued", cred(`,"revokedOn":"2026-12-05T07:59:59Z"`), secretsprov.ErrInvalid},
		{"revoked at issue", cred(`,"revokedOn":"2026-12-05T08:00:00Z"`), nil},
		{"control character", `{"job":{"id":"j\n","identity":"i","ref":"r","refProtected":true},"credentials":[]}`, secretsprov.ErrInvalid},
		{"bad SPIFFE ID", `{"job":{"id":"j","identity":"i","spiffeId":"spiffe://UPPER/x","ref":"r","refProtected":true},"credentials":[]}`, secretsprov.ErrInvalid},
		{"empty optional", cred(`,"policyRevision":""`), secretsprov.ErrInvalid},
		{"field too long", cred(`,"policyRevision":"` + strings.Repeat("r", secretsprov.MaxFieldLen+1) + `"`), secretsprov.ErrInvalid},
		{"repeated lease id", `{` + validJob + `,"credentials":[` +
			`{"leaseId":"l1","backend":"vault","secret":"a","decisionId":"e1","issuedOn":"2026-12-05T08:00:00Z"},` +
			`{"leaseId":"l1","backend":"vault","secret":"b","decisionId":"e2","issuedOn":"2026-12-05T08:00:01Z"}]}`, secretsprov.ErrInvalid},
		{"too large", cred(`,"policyRevision":"` + strings.Repeat("r", secretsprov.MaxSize) + `"`), secretsprov.ErrTooLarge},
		{"null optional", cred(`,"revokedOn":null`), secretsprov.ErrMalformed},
		{"nested unknown", `{"job":{"id":"j","identity":"i","ref":"r","refProtected":true,"token":"x"},"credentials":[]}`, secretsprov.ErrUnknownField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := secretsprov.Parse([]byte(tt.in))
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Parse = %v, want accepted", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	id := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", RefProtected: true, RunID: "4817", RunAttempt: "2"}}
	creds := []secretsprov.Credential{
		{LeaseID: "b", Backend: "vault", Secret: "prod/y", DecisionID: "e2", IssuedOn: t0.Add(time.Second)},
		{LeaseID: "a", Backend: "vault", Secret: "prod/x", DecisionID: "e1", IssuedOn: t0},
	}
	p, err := secretsprov.New(id, secretsprov.Run{JobID: "build-1", SPIFFEID: "spiffe://ci.example/ci/acme/app/build"}, creds)
	if err != nil {
		t.Fatal(err)
	}
	wantJob := secretsprov.Job{ID: "build-1", Identity: id.ID(), SPIFFEID: "spiffe://ci.example/ci/acme/app/build",
		Repository: "acme/app", Ref: "refs/heads/main", RefProtected: true, RunID: "4817/2"}
	if p.Job != wantJob {
		t.Errorf("Job = %+v\nwant %+v", p.Job, wantJob)
	}
	if p.Credentials[0].LeaseID != "a" || p.Credentials[0].IssuedOn.Location() != time.UTC || creds[0].LeaseID != "b" {
		t.Errorf("credentials not copied, sorted and in UTC: %+v", p.Credentials)
	}

	svid := identity.Identity{SPIFFEID: spiffeid.RequireFromString("spiffe://ci.example/ci/acme/app/build"), Claims: identity.Claims{Ref: "refs/heads/main"}}
	for _, tt := range []struct {
		name string
		id   identity.Identity
		run  secretsprov.Run
	}{
		{"zero identity", identity.Identity{}, secretsprov.Run{JobID: "j"}},
		{"no job id", id, secretsprov.Run{}},
		{"no ref", identity.Identity{Issuer: "https://ci.example", Subject: "s"}, secretsprov.Run{JobID: "j"}},
		{"another SPIFFE ID", svid, secretsprov.Run{JobID: "j", SPIFFEID: "spiffe://ci.example/other"}},
	} {
		if _, err := secretsprov.New(tt.id, tt.run, nil); !errors.Is(err, secretsprov.ErrInvalid) {
			t.Errorf("%s: New = %v, want ErrInvalid", tt.name, err)
		}
	}
	if p, err := secretsprov.New(svid, secretsprov.Run{JobID: "j"}, nil); err != nil || p.Job.SPIFFEID != svid.SPIFFEID.String() || p.Credentials == nil {
		t.Errorf("SVID identity: %+v, %v", p, err)
	}
}

// The provenance of a job that held a canary secret, built the way the
// runner builds it (broker → ledger → New → Statement), names the lease
// and never the canary, in any encoding.
func TestNoSecretValue(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-e3b0c44298fc1c14-do-not-leak"
	ledger, err := secrets.NewLeaseLedger("static")
	if err != nil {
		t.Fatal(err)
	}
	broker, err := secrets.New(ledger.Authorizer(secrets.AllowNames("prod/deploy-token")),
		secrets.Static{"prod/deploy-token": canary}, secrets.WithAudit(ledger.Sink(nil)))
	if err != nil {
		t.Fatal(err)
	}
	id := identity.Identity{Issuer: "https://ci.example", Subject: "repo:acme/app:ref:refs/heads/main",
		Claims: identity.Claims{Repository: "acme/app", Ref: "refs/heads/main", RefProtected: true}}
	var leaseID string
	var out [][]byte
	err = broker.Run(t.Context(), secrets.JobSpec{ID: "build-1", Identity: id}, func(ctx context.Context, job *secrets.Job) error {
		l, err := job.Lease(ctx, "prod/deploy-token")
		if err != nil {
			return err
		}
		leaseID = l.ID()
		if v, err := l.Value(); err != nil || v.Reveal() != canary {
			t.Fatalf("the job did not hold the canary: %v", err)
		}
		out = append(out, statementJSON(t, ledger, id, "build-1")) // signed while the lease is live
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, statementJSON(t, ledger, id, "build-1")) // after revocation
	forms := []string{canary, hex.EncodeToString([]byte(canary)), base64.StdEncoding.EncodeToString([]byte(canary)),
		base64.RawURLEncoding.EncodeToString([]byte(canary)), strings.ToLower(canary)}
	for i, b := range out {
		s := string(b)
		if !strings.Contains(s, leaseID) || !strings.Contains(s, "prod/deploy-token") {
			t.Fatalf("statement %d does not name the lease: %s", i, s)
		}
		for _, f := range forms {
			if strings.Contains(s, f) || strings.Contains(strings.ToLower(s), strings.ToLower(f)) {
				t.Fatalf("statement %d holds the canary (%q): %s", i, f, s)
			}
		}
	}
	if !strings.Contains(string(out[1]), `"revokedOn"`) || strings.Contains(string(out[0]), `"revokedOn"`) {
		t.Fatalf("revocation time: live %s\nended %s", out[0], out[1])
	}
}

func statementJSON(t *testing.T, ledger *secrets.LeaseLedger, id identity.Identity, jobID string) []byte {
	t.Helper()
	p, err := secretsprov.New(id, secretsprov.Run{JobID: jobID}, secretsprov.Credentials(ledger.Job(jobID)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{{Name: "app", Digest: attest.DigestSet{"sha256": strings.Repeat("ab", 32)}}}, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

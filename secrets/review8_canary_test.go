package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/redact/redacttest"
	"github.com/ztci/ztci/secrets"
)

const (
	review8Token = "eyJ-CANARY-JOB-3c1f.claims.sig-CANARY-e4d2"
	review8Value = "CANARY-LEASE-VALUE-a9b8c7d6e5f4"
)

func review8Scan(t *testing.T, route, out string) {
	t.Helper()
	for _, s := range []string{review8Token, "sig-CANARY-e4d2", review8Value} {
		for _, f := range []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)), url.QueryEscape(s), strings.Trim(fmt.Sprint([]byte(s[:12])), "[]")} {
			if i := strings.Index(out, f); i >= 0 {
				t.Errorf("%s leaks %q: ...%s...", route, s, out[max(0, i-200):min(len(out), i+len(f)+50)])
				return
			}
		}
	}
}

type review8Backend struct {
	failIssue, failRevoke bool
	ttl                   time.Duration
}

func (b *review8Backend) Issue(_ context.Context, req secrets.Request) (secrets.Grant, error) {
	if b.failIssue {
		// a backend's failure names what it was asked (the Request, whose
		// Token redacts itself)
		return secrets.Grant{}, fmt.Errorf("backend down while serving %+v / %v", req, req)
	}
	return secrets.Grant{LeaseID: "lease-1", Value: secrets.NewValue(review8Value), TTL: b.ttl, Renewable: true}, nil
}

func (b *review8Backend) Revoke(context.Context, string) error {
	if b.failRevoke {
		return errors.New("backend down")
	}
	return nil
}

func (b *review8Backend) Renew(context.Context, string, time.Duration) (time.Duration, error) {
	return 0, errors.New("renew refused")
}

// TestReview8BrokerFlowsLeakNothing runs issue, read, renew, revoke and end
// with failing backends under a debug logger and an audit recorder, and
// greps every error, log line and event for the job token and the value.
func TestReview8BrokerFlowsLeakNothing(t *testing.T) {
	for name, be := range map[string]*review8Backend{
		"issue fails":  {failIssue: true},
		"revoke fails": {failRevoke: true},
		"expired":      {ttl: time.Nanosecond},
		"ok":           {ttl: time.Hour},
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			rec := audittest.NewRecorder()
			b, err := secrets.New(secrets.AllowNames("s"), be, secrets.WithLogger(log), secrets.WithAudit(rec),
				secrets.WithRevokeRetry(2, time.Millisecond), secrets.WithMasker(secrets.NewRedactor()))
			if err != nil {
				t.Fatal(err)
			}
			spec := secrets.JobSpec{ID: "job-1", Identity: identity.Identity{Issuer: "https://ci", Subject: "s"}, Token: secrets.NewValue(review8Token)}
			var out []string
			note := func(v ...any) {
				out = append(out, fmt.Sprintf("%v | %+v | %#v | %s | %q | %x", v[0], v[0], v[0], v[0], v[0], v[0]))
			}
			note(spec)
			j, err := b.Begin(t.Context(), spec)
			if err != nil {
				t.Fatal(err)
			}
			note(j)
			l, err := j.Lease(t.Context(), "s")
			if err != nil {
				note(err)
			} else {
				note(l)
				jl, _ := json.Marshal(l)
				out = append(out, string(jl))
				time.Sleep(time.Millisecond)
				if _, err := l.Value(); err != nil {
					note(err)
				}
				if _, err := l.Renew(t.Context(), time.Minute); err != nil {
					note(err)
				}
				if err := l.Revoke(t.Context()); err != nil {
					note(err)
				}
			}
			if err := j.End(t.Context()); err != nil {
				note(err)
			}
			if n, err := b.RevokeIdentity(t.Context(), "https://ci"); err != nil {
				note(err)
				_ = n
			}
			note(b)
			ev, _ := json.Marshal(rec.Events())
			review8Scan(t, "errors and values", strings.Join(out, "\n"))
			review8Scan(t, "logs", logs.String())
			review8Scan(t, "audit", string(ev)+fmt.Sprintf("%+v", rec.Events()))
		})
	}
}

// TestReview8RequestAndGrantRedact: the broker's Request (the job token)
// and a backend's Grant (the value) by every route to text.
func TestReview8RequestAndGrantRedact(t *testing.T) {
	t.Parallel()
	redacttest.Check(t, secrets.Request{JobID: "j", Name: "n", Token: secrets.NewValue(review8Token)}, review8Token, "")
	redacttest.Check(t, secrets.Grant{LeaseID: "l", Value: secrets.NewValue(review8Value)}, review8Value, "")
	redacttest.Check(t, secrets.JobSpec{ID: "j", Token: secrets.NewValue(review8Token)}, review8Token, "")
	redacttest.Check(t, secrets.NewValue(review8Value), review8Value, secrets.Redacted)
}

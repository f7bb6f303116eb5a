package vault_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// shortenVault is a hostile Vault for the paths added with lease
// shortening: a dynamic lease granted for an hour, longer than the broker
// asks for, and renewals (sys/leases/renew) that fail, echo the tokens
// the client sent, or grant more than asked. Its answers quote the job's
// JWT and the X-Vault-Token wherever an error body lets them.
func shortenVault(mode string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := string(body) + " token=" + r.Header.Get("X-Vault-Token")
		renewable := mode != "notRenewable"
		switch {
		case strings.HasSuffix(r.URL.Path, "/login"):
			fmt.Fprintf(w, `{"auth":{"client_token":%q,"lease_duration":60}}`, review8Client)
		case strings.Contains(r.URL.Path, "/revoke") || strings.Contains(r.URL.Path, "revoke-accessor"):
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"errors":[%q]}`, echo)
		case strings.Contains(r.URL.Path, "/renew") && mode == "renew500":
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"errors":[%q]}`, echo)
		case strings.Contains(r.URL.Path, "/renew") && mode == "renewGarbage":
			fmt.Fprintf(w, `not json %s`, echo)
		case strings.Contains(r.URL.Path, "/renew") && mode == "renewLonger":
			fmt.Fprintf(w, `{"lease_id":"database/creds/ci/1","lease_duration":3600,"renewable":true,"warnings":[%q]}`, echo)
		case strings.Contains(r.URL.Path, "/renew") && mode == "renewZero":
			fmt.Fprintf(w, `{"lease_id":"database/creds/ci/1","lease_duration":0,"renewable":true,"warnings":[%q]}`, echo)
		case strings.Contains(r.URL.Path, "/renew"):
			fmt.Fprintf(w, `{"lease_id":"database/creds/ci/1","lease_duration":60,"renewable":true}`)
		default:
			fmt.Fprintf(w, `{"lease_id":"database/creds/ci/1","lease_duration":3600,"renewable":%t,"data":{"password":%q}}`, renewable, review8Value)
		}
	})
}

// TestCanaryLeaseShorteningLeaksNothing runs a dynamic lease granted for
// longer than asked (so the backend renews it down, or refuses it with a
// DurationError) and a renewal under a second, under a debug logger and
// an audit recorder, and greps every error, log line and event for the
// job's JWT, the Vault tokens and the secret's value.
func TestCanaryLeaseShorteningLeaksNothing(t *testing.T) {
	for _, mode := range []string{"notRenewable", "renew500", "renewGarbage", "renewLonger", "renewZero", "ok"} {
		t.Run(mode, func(t *testing.T) {
			srv := httptest.NewServer(shortenVault(mode))
			defer srv.Close()
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := client(t, srv.URL)
			c.SetToken(review8Root)
			be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"s": vault.Dynamic("database/creds/ci", "password")},
				vault.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			rec := audittest.NewRecorder()
			b, err := secrets.New(secrets.AllowNames("s"), be, secrets.WithLogger(log), secrets.WithAudit(rec),
				secrets.WithTTL(time.Minute), secrets.WithRevokeRetry(2, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			j, err := b.Begin(t.Context(), secrets.JobSpec{ID: "job-1", Identity: identity.Identity{Issuer: "https://ci", Subject: "s"},
				Token: secrets.NewValue(review8JWT)})
			if err != nil {
				t.Fatal(err)
			}
			var errs []string
			record := func(err error) {
				if err != nil {
					errs = append(errs, fmt.Sprintf("%v | %+v | %#v", err, err, err))
				}
			}
			l, err := j.Lease(t.Context(), "s")
			if (err == nil) != (mode == "ok") {
				t.Errorf("Lease: %v", err)
			}
			record(err)
			if err == nil {
				_, err := l.Renew(t.Context(), 500*time.Millisecond)
				record(err)
				record(l.Revoke(t.Context()))
			}
			_, err = be.Renew(t.Context(), "database/creds/ci/1", time.Millisecond)
			record(err)
			record(j.End(t.Context()))
			ev, _ := json.Marshal(rec.Events())
			review8Scan(t, "errors", strings.Join(errs, "\n"))
			review8Scan(t, "logs", logs.String())
			review8Scan(t, "audit", string(ev))
			if testing.Verbose() {
				t.Log(strings.Join(errs, "\n"))
			}
		})
	}
}

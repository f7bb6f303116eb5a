package vault_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

const (
	review8JWT      = "eyJ-CANARY-JOB-TOKEN.c3ViLWNhbmFyeQ.sig-CANARY-9f8e7d"
	review8Root     = "hvs.CANARY-BROKER-TOKEN-41c2"
	review8Client   = "hvs.CANARY-CLIENT-TOKEN-7d3a"
	review8Wrapping = "hvs.CANARY-WRAPPING-TOKEN-b0e5"
	review8Value    = "CANARY-SECRET-VALUE-2f6c9a"
)

func review8Scan(t *testing.T, route, out string) {
	t.Helper()
	for _, s := range []string{review8JWT, "sig-CANARY-9f8e7d", review8Root, review8Client, review8Wrapping, review8Value} {
		for _, f := range []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)), url.QueryEscape(s)} {
			if i := strings.Index(out, f); i >= 0 {
				t.Errorf("%s leaks %q: ...%s...", route, s, out[max(0, i-300):min(len(out), i+len(f)+50)])
				return
			}
		}
	}
}

// review8Vault is a hostile Vault: every answer, error or not, echoes what
// the client sent (the job's JWT, the X-Vault-Token) back in its body, and
// some bodies are not JSON.
func review8Vault(mode string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := string(body) + " token=" + r.Header.Get("X-Vault-Token")
		switch {
		case strings.HasSuffix(r.URL.Path, "/login") && mode == "login500":
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"errors":[%q]}`, echo)
		case strings.HasSuffix(r.URL.Path, "/login") && mode == "login400":
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"errors":[%q]}`, echo)
		case strings.HasSuffix(r.URL.Path, "/login") && mode == "loginGarbage":
			fmt.Fprintf(w, `not json %s`, echo)
		case strings.HasSuffix(r.URL.Path, "/login") && mode == "loginBadType":
			fmt.Fprintf(w, `{"auth":{"client_token":[%q]}}`, echo)
		case strings.HasSuffix(r.URL.Path, "/login"):
			fmt.Fprintf(w, `{"auth":{"client_token":%q,"lease_duration":60}}`, review8Client)
		case strings.Contains(r.URL.Path, "/revoke") || strings.Contains(r.URL.Path, "revoke-accessor"):
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"errors":[%q]}`, echo)
		case mode == "readGarbage":
			fmt.Fprintf(w, `{"data":{"data":{"password":%q}}, trailing %s`, review8Value, echo)
		case mode == "readWrongField":
			fmt.Fprintf(w, `{"data":{"data":{"other":%q}}}`, review8Value)
		case mode == "readNotString":
			fmt.Fprintf(w, `{"data":{"data":{"password":[%q]}}}`, review8Value)
		case mode == "dynamicBadTTL":
			fmt.Fprintf(w, `{"lease_id":"database/creds/ci/1","lease_duration":-5,"renewable":true,"data":{"password":%q}}`, review8Value)
		case mode == "dynamic":
			fmt.Fprintf(w, `{"lease_id":"database/creds/ci/1","lease_duration":60,"renewable":true,"data":{"password":%q}}`, review8Value)
		case mode == "wrapped":
			fmt.Fprintf(w, `{"wrap_info":{"token":%q,"accessor":"acc-1","ttl":60}}`, review8Wrapping)
		default:
			w.WriteHeader(503)
			fmt.Fprintf(w, `{"errors":[%q]}`, echo)
		}
	})
}

func TestReview8HostileVaultLeaksNothing(t *testing.T) {
	for _, mode := range []string{"login500", "login400", "loginGarbage", "loginBadType", "read503", "readGarbage",
		"readWrongField", "readNotString", "dynamicBadTTL", "dynamic", "wrapped"} {
		t.Run(mode, func(t *testing.T) {
			srv := httptest.NewServer(review8Vault(mode))
			defer srv.Close()
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := client(t, srv.URL)
			c.SetToken(review8Root)
			src := vault.KV("secret", "ci/deploy", "password")
			switch mode {
			case "dynamic", "dynamicBadTTL":
				src = vault.Dynamic("database/creds/ci", "password")
			case "wrapped":
				src = src.Wrapped(time.Minute)
			}
			be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"s": src}, vault.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			rec := audittest.NewRecorder()
			b, err := secrets.New(secrets.AllowNames("s"), be, secrets.WithLogger(log), secrets.WithAudit(rec),
				secrets.WithRevokeRetry(2, time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			var errs []string
			j, err := b.Begin(t.Context(), secrets.JobSpec{ID: "job-1", Identity: identity.Identity{Issuer: "https://ci", Subject: "s"}, Token: secrets.NewValue(review8JWT)})
			if err != nil {
				t.Fatal(err)
			}
			l, err := j.Lease(t.Context(), "s")
			if err != nil {
				errs = append(errs, fmt.Sprintf("%v | %+v | %#v", err, err, err))
			} else {
				errs = append(errs, fmt.Sprintf("%v %+v %#v %s %x %d", l, l, l, l, l, l))
				if err := l.Revoke(t.Context()); err != nil {
					errs = append(errs, fmt.Sprintf("%v | %+v | %#v", err, err, err))
				}
				if mode == "wrapped" {
					_, err := vault.Unwrap(t.Context(), client(t, srv.URL), secrets.NewValue(review8Wrapping), "password")
					if err != nil {
						errs = append(errs, fmt.Sprintf("%v | %+v", err, err))
					}
				}
			}
			if err := j.End(t.Context()); err != nil {
				errs = append(errs, fmt.Sprintf("%v | %+v | %#v", err, err, err))
			}
			ev, _ := json.Marshal(rec.Events())
			review8Scan(t, "errors", strings.Join(errs, "\n"))
			review8Scan(t, "logs", logs.String())
			review8Scan(t, "audit", string(ev))
			var pb any = be
			review8Scan(t, "backend", fmt.Sprintf("%v %+v %#v %s %x %d", pb, pb, pb, pb, pb, pb))
			if testing.Verbose() {
				t.Log(strings.Join(errs, "\n"))
			}
		})
	}
}

package oidc_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/redact/redacttest"
)

const review8Seed = "CANARY-SEED-8f3e1c2d-0123456789a"

func TestReview8IssuerSignerKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed([]byte(review8Seed))
	iss, err := oidc.NewIssuer("https://issuer.example", oidc.WithSigner(key, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	redacttest.CheckKey(t, iss, key)
}

// review8Scan fails when out holds secret in any common encoding.
func review8Scan(t *testing.T, route, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, f := range []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)), url.QueryEscape(s), strings.Trim(strconv.Quote(s), `"`)} {
			if len(f) >= 8 && strings.Contains(out, f) {
				t.Errorf("%s leaks a secret (%.40q): %.400s", route, f, out)
				return
			}
		}
	}
}

// TestReview8VerifierRejectionsDoNotQuoteToken feeds the verifier tokens
// that fail at every stage and greps its errors, debug log and audit events.
func TestReview8VerifierRejectionsDoNotQuoteToken(t *testing.T) {
	srv := httptest.NewServer(nil)
	defer srv.Close()
	iss, err := oidc.NewIssuer(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	var logs bytes.Buffer
	rec := audittest.NewRecorder()
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v, err := oidc.NewVerifier(srv.URL, "vault", oidc.WithLogger(log), oidc.WithAudit(rec),
		oidc.WithSingleUse(oidc.NewMemoryReplayCache(100, nil)))
	if err != nil {
		t.Fatal(err)
	}
	good, err := iss.Mint(t.Context(), oidc.Job{Claims: identity.Claims{Repository: "o/r", Ref: "refs/heads/main"}}, "vault")
	if err != nil {
		t.Fatal(err)
	}
	wrongAud, err := iss.Mint(t.Context(), oidc.Job{Claims: identity.Claims{Repository: "o/r", Ref: "refs/heads/main"}}, "other")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good.Reveal(), ".")
	const canary = "CANARYTOKENb7e1c4d9x"
	// header members are not the credential (AlgorithmError reports alg
	// by design): hdr is not a secret.
	const hdr = "header-value-not-secret"
	canarySig := base64.RawURLEncoding.EncodeToString([]byte(canary + canary + canary))
	cases := map[string]string{
		"not a jwt":        canary,
		"three canaries":   canary + "." + canary + "." + canary,
		"bad base64":       canary + "!." + canary + "." + canary,
		"forged signature": parts[0] + "." + parts[1] + "." + canarySig,
		"canary header":    base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+hdr+`","kid":"`+hdr+`"}`)) + "." + parts[1] + "." + canarySig,
		"canary claims":    parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+canary+`"`)) + "." + canarySig,
		"whitespace":       " " + good.Reveal() + "\n",
		"oversized":        strings.Repeat(canary, 1<<12),
		"wrong audience":   wrongAud.Reveal(),
		"truncated":        good.Reveal()[:len(good.Reveal())-3],
	}
	var errs []string
	for name, raw := range cases {
		_, err := v.Verify(t.Context(), raw)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		sig := raw
		if i := strings.LastIndexByte(raw, '.'); i >= 0 {
			sig = raw[i+1:]
		}
		errs = append(errs, name+": "+err.Error())
		review8Scan(t, name+" error", err.Error()+fmt.Sprintf("%+v %#v", err, err), strings.TrimSpace(raw), sig, canary)
	}
	// a replay of a good token
	if _, err := v.Verify(t.Context(), good.Reveal()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), good.Reveal()); err == nil {
		t.Error("replay accepted")
	} else {
		review8Scan(t, "replay error", err.Error(), good.Reveal(), parts[2])
	}
	ev, _ := json.Marshal(rec.Events())
	all := []string{canary, canarySig, good.Reveal(), parts[2], wrongAud.Reveal(), strings.Split(wrongAud.Reveal(), ".")[2]}
	review8Scan(t, "debug log", logs.String(), all...)
	review8Scan(t, "audit events", string(ev)+fmt.Sprintf("%+v", rec.Events()), all...)
	if testing.Verbose() {
		t.Log(strings.Join(errs, "\n"))
	}
}

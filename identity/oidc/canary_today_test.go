package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit/audittest"
)

// TestCanaryReplayAtExpiryQuotesNoToken: the refusal of a single-use token
// replayed at its expiry (refused after the claim, or by the memory
// cache's own expiry check) names the exp claim and when it passed, never
// the token: no error, debug log line or audit event holds the token or
// its signature.
func TestCanaryReplayAtExpiryQuotesNoToken(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	exp := testNow.Add(5 * time.Minute)
	tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, with(goodClaims(), "exp", exp.Unix(), "jti", "boundary")))
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	for name, newCache := range map[string]func(func() time.Time) ReplayCache{
		"memory":    func(now func() time.Time) ReplayCache { return NewMemoryReplayCache(10, now) },
		"take-over": func(now func() time.Time) ReplayCache { return &takeOver{now: now, m: map[string]time.Time{}} },
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			rec := audittest.NewRecorder()
			clk := &steppingClock{t: testNow}
			v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(clk.now), WithLeeway(0),
				WithSingleUse(slowClaim{inner: newCache(clk.now), clock: clk, d: time.Millisecond}),
				WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), WithAudit(rec))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
			clk.set(exp.Add(-time.Millisecond / 2))
			_, err = v.Verify(t.Context(), tok)
			if !errors.Is(err, ErrExpired) {
				t.Fatalf("replay at expiry: %v, want ErrExpired", err)
			}
			ev, _ := json.Marshal(rec.Events())
			if len(rec.Events()) == 0 {
				t.Error("no audit event: the route is not exercised")
			}
			for route, out := range map[string]string{
				"error": fmt.Sprintf("%v | %+v | %#v", err, err, err), "log": logs.String(), "audit": string(ev),
			} {
				for _, s := range []string{tok, sig, base64.StdEncoding.EncodeToString([]byte(tok))} {
					if strings.Contains(out, s) {
						t.Errorf("%s holds %.20q...: %.300s", route, s, out)
					}
				}
			}
		})
	}
}

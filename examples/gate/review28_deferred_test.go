package main

import (
	"log/slog"
	"testing"

	"github.com/ztci/ztci/identity"
)

// TestReview28SingleUseTokensDeferred: the command's single-use verifier
// passes on identity.DeferredTokenVerifier. Before, its wrapper hid it,
// so the gate spent a busy job's token before refusing it with 503.
func TestReview28SingleUseTokensDeferred(t *testing.T) {
	t.Parallel()
	tv, err := tokenVerifier(options{singleUse: true, replayCacheSize: 1}, "https://ci.example.com", "deploy", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tv.(identity.DeferredTokenVerifier); !ok {
		t.Fatalf("%T does not offer identity.DeferredTokenVerifier", tv)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

// TestJSON runs the command as `runner --json` and reads its summary.
func TestJSON(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"--json", "--dir", t.TempDir(), "--issuer-addr", "127.0.0.1:0"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	var sum Summary
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	if len(sum.Jobs) != 2 || !sum.Jobs[0].Gate.Allowed || sum.Jobs[1].Gate.Allowed || sum.CompromiseCheck.Response.Allowed ||
		sum.ImageCheck.Response.Allowed || !sum.Audit.InclusionVerified {
		t.Errorf("summary: %+v", sum)
	}
	rel := sum.Jobs[0]
	if strings.ContainsAny(rel.SPIFFEID, " ()") || !strings.HasPrefix(rel.SPIFFEID, "spiffe://") || rel.SVIDExpires == "" {
		t.Errorf("spiffe_id %q, svid_expires %q: want a bare SPIFFE ID and its expiry apart", rel.SPIFFEID, rel.SVIDExpires)
	}
	if _, err := os.Stat(sum.Audit.Path); err != nil {
		t.Errorf("audit.path %q does not exist after the run: %v", sum.Audit.Path, err)
	}
}

func TestFlags(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "")
	tests := []struct {
		name string
		args []string
		want error
	}{
		{name: "vault without broker token", args: []string{"--vault", "https://vault.example"}, want: ErrConfig},
		{name: "tsa without trusted root", args: []string{"--tsa", "https://tsa.example/api/v1/timestamp"}, want: ErrConfig},
		{name: "issuer on every interface", args: []string{"--issuer-addr", "0.0.0.0:8747"}, want: ErrConfig},
		{name: "issuer on a host name", args: []string{"--issuer-addr", "ci.example:8747"}, want: ErrConfig},
		{name: "negative job timeout", args: []string{"--job-timeout", "-1m"}, want: ErrConfig},
		{name: "help", args: []string{"-h"}, want: flag.ErrHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, io.Discard)
			if !errors.Is(err, tt.want) {
				t.Fatalf("run(%q) = %v, want %v", tt.args, err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed progress before refusing: %s", stdout.String())
			}
		})
	}
}

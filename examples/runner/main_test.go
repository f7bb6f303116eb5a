package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"testing"

	"github.com/ztci/ztci/examples/internal/job"
)

// TestJSON runs the command as `runner --json` and reads its summary.
func TestJSON(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"--json", "--dir", t.TempDir()}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	var sum job.Summary
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	if len(sum.Jobs) != 2 || !sum.Jobs[0].Gate.Allowed || sum.Jobs[1].Gate.Allowed || sum.ImageCheck.Response.Allowed || !sum.Audit.InclusionVerified {
		t.Errorf("summary: %+v", sum)
	}
}

func TestFlags(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "")
	tests := []struct {
		name string
		args []string
		want error
	}{
		{name: "vault without broker token", args: []string{"--vault", "https://vault.example"}, want: job.ErrConfig},
		{name: "tsa without trusted root", args: []string{"--tsa", "https://tsa.example/api/v1/timestamp"}, want: job.ErrConfig},
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

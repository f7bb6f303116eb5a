package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// Flags that lower what the gate checks (single use off, no transparency
// log entry, no SCT) are sometimes right (a proxy enforces single use, a
// private CA has no logs), but one left on from a trial must not go
// unnoticed: the command logs a warning for each at start, with the flag
// in a "weakened" attribute, and none for a setting left at its default.
func TestReview37WeakenedFlagsWarned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want map[string]bool
	}{
		{name: "single use off, no logs", args: []string{"--single-use=false"},
			want: map[string]bool{"single-use": true, "tlog-threshold": true, "sct-threshold": true}},
		{name: "logs required", args: []string{"--tlog-threshold", "1", "--sct-threshold", "1"},
			want: map[string]bool{"single-use": false, "tlog-threshold": false, "sct-threshold": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, stderr, stop := startCommand(t, f, tc.args...)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for line := range strings.SplitSeq(stderr.String(), "\n") {
				if !strings.Contains(line, "level=WARN") {
					continue
				}
				for field := range strings.FieldsSeq(line) {
					if v, ok := strings.CutPrefix(field, "weakened="); ok {
						got[v] = true
					}
				}
			}
			for flag, want := range tc.want {
				if got[flag] != want {
					t.Errorf("warning for --%s: %v, want %v (log: %s)", flag, got[flag], want, stderr.String())
				}
			}
		})
	}
}

// The metrics listener is unauthenticated plain HTTP: on anything but a
// loopback IP (all interfaces, a name) the command warns at start.
func TestReview37MetricsAddrWarned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		addr string
		want bool
	}{
		{name: "off", addr: ""},
		{name: "loopback v4", addr: "127.0.0.1:9090"},
		{name: "loopback v6", addr: "[::1]:9090"},
		{name: "all interfaces", addr: ":9090", want: true},
		{name: "all interfaces v4", addr: "0.0.0.0:9090", want: true},
		{name: "name", addr: "localhost:9090", want: true},
		{name: "private address", addr: "10.0.0.7:9090", want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			warnWeakened(t.Context(), log, options{metricsAddr: tc.addr, singleUse: true, tlogs: 1, scts: 1})
			got := false
			dec := json.NewDecoder(&buf)
			for dec.More() {
				var rec struct {
					Level    string `json:"level"`
					Weakened string `json:"weakened"`
				}
				if err := dec.Decode(&rec); err != nil {
					t.Fatal(err)
				}
				if rec.Level == slog.LevelWarn.String() && rec.Weakened == "metrics-addr" {
					got = true
				}
			}
			if got != tc.want {
				t.Errorf("--metrics-addr %q: warned %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
}

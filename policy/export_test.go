package policy_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestBenchmarkInputAsJSON checks that the deploy-gate benchmark's input
// survives the JSON form that remote callers (and `opa eval -i`) use, and,
// when ZTCI_OPA_EVAL_DIR is set, writes the benchmark's policy, data and input
// there so .ci/peers.sh can time the opa CLI on exactly what
// BenchmarkDeployGate evaluates.
func TestBenchmarkInputAsJSON(t *testing.T) {
	t.Parallel()
	in := deployInput()
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := policy.DecodeInput(bytes.NewReader(input))
	if err != nil {
		t.Fatalf("DecodeInput(json.Marshal(input)): %v", err)
	}
	if !reflect.DeepEqual(back, in) {
		t.Fatalf("input changed through JSON:\n got %+v\nwant %+v", back, in)
	}
	dir := os.Getenv("ZTCI_OPA_EVAL_DIR")
	if dir == "" {
		return
	}
	data, err := json.Marshal(libraryConfig())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "input.json"), input)
	writeFile(t, filepath.Join(dir, "data.json"), data)
	err = fs.WalkDir(policy.Library(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(policy.Library(), path)
		if err == nil {
			writeFile(t, filepath.Join(dir, "lib", path), b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

package policytest_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/policytest"
)

// TestJSONSchemaBuiltinsRefused: tests compile with the evaluator's
// capabilities, so a test calling json.match_schema or json.verify_schema,
// which read a file:// "$ref" from the host, does not compile either (it
// would read the file on the machine that runs go test).
func TestJSONSchemaBuiltinsRefused(t *testing.T) {
	t.Parallel()
	schema := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(schema, []byte(`{"type": "object"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ref := "file://" + filepath.ToSlash(schema)
	for name, body := range map[string]string{
		"match_schema":  `json.match_schema({}, {"$ref": "` + ref + `"})[0]`,
		"verify_schema": `json.verify_schema({"$ref": "` + ref + `"})[0]`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{"p_test.rego": {Data: []byte("package p\ntest_schema if " + body)}}
			rs, err := policytest.Results(t.Context(), fsys)
			if !errors.Is(err, policy.ErrCompile) {
				t.Fatalf("got %v, %v; want ErrCompile", rs, err)
			}
		})
	}
}

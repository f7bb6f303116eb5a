package policy_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview22LoaderNamesInOtherCase: OPA's loader reads "*.rego",
// "data.json", "data.yaml", "data.yml" and "*.manifest" by their exact
// names and skips "gate/deny.Rego" or "gate/Data.json" without a word,
// while a reviewer, an editor and a case-insensitive file system read
// them as a module or data of the policy: the deny rule a reviewer
// approved was never evaluated. Each is refused, in a tarball and in a
// directory, naming the file; lower-case names and unrelated files still
// load.
func TestReview22LoaderNamesInOtherCase(t *testing.T) {
	t.Parallel()
	deny := "package gate\n\ndeny contains \"always\" if true\n"
	for _, file := range []string{"gate/deny.Rego", "gate/deny.REGO", "gate/Data.json", "gate/data.JSON",
		"gate/DATA.yaml", "gate/data.YML", ".Manifest", "gate/x.MANIFEST"} {
		body := deny
		if !strings.HasSuffix(strings.ToLower(file), ".rego") {
			body = `{"repos": []}`
		}
		files := map[string]string{"gate/gate.rego": gate, file: body}
		tgz := orderedTarball(t, [2]string{"gate/gate.rego", gate}, [2]string{file, body})
		for src, load := range map[string]func() (*policy.Bundle, error){
			"tarball": func() (*policy.Bundle, error) { return policy.ReadBundle(bytes.NewReader(tgz)) },
			"Dir":     func() (*policy.Bundle, error) { return policy.Dir(review21Dir(t, files)).Load(t.Context()) },
			"FS":      func() (*policy.Bundle, error) { return policy.FS(review21MapFS(files)).Load(t.Context()) },
		} {
			b, err := load()
			if !errors.Is(err, policy.ErrLoad) || !strings.Contains(err.Error(), file) {
				t.Errorf("%s, %s: got %+v, %v; want ErrLoad naming the file", src, file, b, err)
			}
		}
	}
	files := map[string]string{"gate/gate.rego": gate, "gate/deny.rego": deny, "gate/data.yml": `repos: []`,
		"README.md": "# gate", "gate/notes.rego.txt": "x"}
	b, err := policy.FS(review21MapFS(files)).Load(t.Context())
	if err != nil || len(b.Modules) != 2 {
		t.Fatalf("ordinary names: %+v, %v", b, err)
	}
}

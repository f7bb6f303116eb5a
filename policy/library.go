package policy

import (
	"embed"
	"io/fs"
)

//go:embed all:library
var library embed.FS

// Library returns the built-in Rego library as a file system laid out like
// an OPA bundle: ztci/main.rego (the decision entrypoint, data.ztci.main),
// ztci/deploy.rego (with deploy_secrets.rego, its rules over secrets
// provenance), pipeline.rego, secrets.rego, kubernetes.rego,
// terraform.rego, and their *_test.rego tests. See the package
// documentation for the configuration each rule set reads.
func Library() fs.FS {
	sub, err := fs.Sub(library, "library")
	if err != nil { // unreachable: "library" is embedded above
		panic(err)
	}
	return sub
}

// Builtin returns a Source of the built-in library, unconfigured: every
// deploy and secret release is denied. Use [BuiltinWith] to configure it
// (Merge(Builtin(), Data(config)) with a data.ztci.config document also
// works).
func Builtin() Source { return FS(Library()) }

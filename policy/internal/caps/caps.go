// Package caps holds the OPA capabilities ztci compiles policies with, so
// that policy and policytest agree on what a policy may call.
package caps

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Denied are OPA builtins a policy may not call: they reach the network or
// read the process environment (opa.runtime exposes environment variables,
// which in CI hold secrets). A policy that uses one does not compile.
var Denied = []string{"http.send", "net.lookup_ip_addr", "opa.runtime"}

// Capabilities returns OPA's capabilities for this version without the
// Denied builtins and with no network access.
func Capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(slices.Clone(c.Builtins), func(b *ast.Builtin) bool {
		return slices.Contains(Denied, b.Name)
	})
	c.AllowNet = []string{}
	return c
}

// Package caps holds the OPA capabilities ztci compiles policies with, so
// that policy and policytest agree on what a policy may call.
package caps

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Denied are OPA builtins a policy may not call: they reach the network,
// read the process environment (opa.runtime exposes environment variables,
// which in CI hold secrets) or read local files. json.match_schema and
// json.verify_schema resolve a schema's "$ref" to a file:// URL by reading
// that file from the host (allow_net bounds only their http fetches), so a
// policy, or a schema taken from input, could read the gate's keys and
// credentials into a violation message, or block or exhaust memory on
// /dev/zero or a FIFO. A policy that uses one does not compile.
var Denied = []string{"http.send", "net.lookup_ip_addr", "opa.runtime", "json.match_schema", "json.verify_schema"}

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

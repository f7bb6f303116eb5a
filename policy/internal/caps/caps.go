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
// /dev/zero or a FIFO. strings.render_template and graph.reachable_paths
// run to completion whatever the evaluation's deadline (OPA checks no
// cancellation in them), and their work grows without bound in their
// arguments: a template defining each level as two calls of the one below
// doubles per definition (27 definitions ran 15 s past a 100 ms
// deadline), and the simple paths of an 8-node complete graph took 4.6 s
// (9 nodes over 5 minutes) — a graph a policy would build from input, such
// as an SBOM's dependencies, so whoever writes the input holds the gate's
// CPU. A policy that uses one of these does not compile.
var Denied = []string{
	"http.send", "net.lookup_ip_addr", "opa.runtime", "json.match_schema", "json.verify_schema",
	"strings.render_template", "graph.reachable_paths",
}

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

// Package policy decides, as code, whether a CI/CD action may proceed:
// deploy these artifacts, run this pipeline configuration, release these
// secrets to this job, apply these manifests or this Terraform plan.
//
// An [Evaluator] takes one [Input] document and returns a [Decision]. A deny
// is a Decision (Allowed false, with [Violation]s that say why); an error
// wraps [ErrNoDecision] and means "could not decide": callers fail closed.
//
// (Full documentation of the OPA engine, sources, modes, built-in library and
// input schema follows as the package is completed.)
package policy

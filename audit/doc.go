// Package audit records who did what: structured events, sinks that return
// errors (audit is not logging), and a tamper-evident log.
//
// Every other ztci package emits an [Event] through a [Sink] it is given. audit
// links no heavy dependency, so every package may import it.
package audit

package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ztci/ztci/policy/gate"
)

// progress prints the step-by-step account for the person at the terminal.
// Plain lines only, so it reads the same in a terminal, a CI log or a file.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	n     int
	start time.Time
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) step(title string) {
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
		p.printf("ztci runner: one CI job, the zero-trust way (everything in process)\n")
	}
	if strings.HasPrefix(title, "  ") {
		p.printf("    ▸ %s\n", strings.TrimSpace(title))
	} else {
		p.n++
		p.printf("\n[%d] %s  (+%s)\n", p.n, title, now.Sub(p.start).Round(time.Millisecond))
	}
}

func (p *progress) stepf(format string, args ...any) { p.step(fmt.Sprintf(format, args...)) }

func (p *progress) okf(format string, args ...any) {
	p.printf("      ✓ %s\n", fmt.Sprintf(format, args...))
}

func (p *progress) denyf(format string, args ...any) {
	p.printf("      ✗ %s\n", fmt.Sprintf(format, args...))
}

func (p *progress) gate(r *gate.Decision) {
	for _, a := range r.Attestations {
		if a.Verified {
			p.okf("verified %s by %s", a.PredicateType, a.Signer)
		} else {
			p.denyf("attestation rejected: %s", a.Error)
		}
	}
	if r.Allowed {
		p.okf("ALLOW %s (policy %s, audit event %s)", r.Digest, short(r.PolicyRevision), r.AuditID)
		return
	}
	p.denyf("DENY %s (policy %s, audit event %s):", short(r.Digest), short(r.PolicyRevision), r.AuditID)
	for _, v := range r.Violations {
		p.printf("          - %s: %s\n", v.Rule, v.Message)
	}
}

// compliance prints the admitted deploy's compliance in two lines.
func (p *progress) compliance(c *ComplianceSummary) {
	p.okf("compliance (NIST SSDF, SLSA build track, PCI DSS 6): %s", c.Summary)
	p.printf("          passed: %s\n", strings.Join(c.Passed, ", "))
	if len(c.Failed) > 0 {
		p.printf("          failed: %s\n", strings.Join(c.Failed, ", "))
	}
}

func (p *progress) index(ix *IndexSummary) {
	p.okf("admission index: where is %s deployed? %d admitted artifact(s)", ix.Query, len(ix.Admissions))
	for _, a := range ix.Admissions {
		var pkgs []string
		for _, pk := range a.Packages {
			pkgs = append(pkgs, pk.PURL)
		}
		p.printf("          %s (%s), decision %s, job %s, builder %s: %s\n",
			short(a.Digest), a.Image, a.DecisionID, a.Job, strings.Join(a.Builders, " "), strings.Join(pkgs, ", "))
	}
}

func (p *progress) fail(err error) error {
	p.printf("      ✗ failed: %v\n", err)
	return err
}

func (p *progress) done(s *Summary) {
	allowed, denied := 0, 0
	for _, j := range s.Jobs {
		if j.Gate != nil && j.Gate.Allowed {
			allowed++
		} else {
			denied++
		}
	}
	if s.CompromiseCheck != nil && !s.CompromiseCheck.Response.Allowed {
		denied++
	}
	if s.ImageCheck != nil && !s.ImageCheck.Response.Allowed {
		denied++
	}
	p.printf("\nDone in %s: %d deploy allowed, %d denied; audit log verified: %v; inclusion proof: %v.\n",
		time.Duration(s.DurationMS)*time.Millisecond, allowed, denied, s.Audit.Verified, s.Audit.InclusionVerified)
}

// prefixWriter indents the job's log lines. It is used behind a
// RedactWriter, which serializes writes.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	midLine bool
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !pw.midLine {
			out.WriteString(pw.prefix)
		}
		out.Write(line)
		pw.midLine = line[len(line)-1] != '\n'
	}
	if _, err := pw.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

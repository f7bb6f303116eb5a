package compliance

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the report for people: a heading, the decisions with
// their evidence, then every control with its status, the decisions that
// judged it and, for a failed one, the violations. Untrusted text (rule
// messages, names) is written on one line each, its controls and format
// characters (ESC, a bidirectional override) as Go escapes ("\x1b"), so
// that it cannot move the cursor over, or reorder, the lines around it.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	pass, fail, na := r.Count()
	fmt.Fprintf(&b, "Compliance report: %s\n", oneLine(r.Title))
	fmt.Fprintf(&b, "Generated %s; policy revision(s): %s\n", r.Generated.UTC().Format(time.RFC3339), orNone(r.revisions()))
	fmt.Fprintf(&b, "Controls: %d pass, %d fail, %d not assessed\n", pass, fail, na)
	fmt.Fprintf(&b, "\nDecisions (%d):\n", len(r.Decisions))
	for _, d := range r.Decisions {
		fmt.Fprintf(&b, "  %s  %s\n", oneLine(d.ID), oneLine(d.describe(ident)))
		for _, e := range d.Evidence {
			fmt.Fprintf(&b, "      evidence: %s\n", oneLine(e.describe(ident)))
		}
	}
	for _, f := range r.Frameworks {
		fmt.Fprintf(&b, "\n%s\n", oneLine(f.Title))
		for _, c := range r.Controls {
			if c.Control.Framework != f.ID {
				continue
			}
			fmt.Fprintf(&b, "  %-4s  %-36s %s\n", mark(c.Status), c.Control.ID, oneLine(c.Control.Label))
			if len(c.Decisions) > 0 {
				fmt.Fprintf(&b, "        decisions: %s\n", oneLine(strings.Join(c.Decisions, ", ")))
			}
			if len(c.Unassessed) > 0 {
				fmt.Fprintf(&b, "        not assessed by: %s\n", oneLine(strings.Join(c.Unassessed, ", ")))
			}
			for _, fl := range c.Failures {
				fmt.Fprintf(&b, "        - %s %s: %s\n", oneLine(fl.Decision), oneLine(fl.Rule), oneLine(fl.Message))
			}
		}
	}
	if len(r.Unmapped) > 0 {
		b.WriteString("\nViolations of rules the catalog does not map (their decisions assess no control):\n")
		for _, fl := range r.Unmapped {
			fmt.Fprintf(&b, "  - %s %s: %s\n", oneLine(fl.Decision), oneLine(fl.Rule), oneLine(fl.Message))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Summary is the report in one line: "12 pass, 0 fail, 9 not assessed".
func (r *Report) Summary() string {
	pass, fail, na := r.Count()
	return fmt.Sprintf("%d pass, %d fail, %d not assessed", pass, fail, na)
}

func mark(s Status) string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	}
	return "N/A"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return oneLine(strings.Join(s, ", "))
}

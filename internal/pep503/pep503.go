// Package pep503 normalizes Python package names as PyPI compares them
// (PEP 503; packaging's canonicalize_name): lower case, every run of '-',
// '_' and '.' one '-'. PyPI treats names equal under it as one project:
// "zope.interface", "Zope_Interface" and "zope--interface" install the same
// thing. It is the one home of the rule for the index (attest/inventory)
// and VEX matching (attest/vex).
//
// Only ASCII letters are lowered: a project name is ASCII letters, digits,
// '-', '_' and '.', and PyPI refuses any other, so "\u212aeras" (the Kelvin
// sign, which strings.ToLower makes "k") is no spelling of keras and stays
// apart from it.
package pep503

import (
	"strings"

	"github.com/ztci/ztci/internal/asciifold"
)

// Name returns name normalized by PEP 503.
func Name(name string) string {
	name = asciifold.Lower(name)
	var b strings.Builder
	b.Grow(len(name))
	inRun := false
	for i := 0; i < len(name); i++ { // bytewise: no byte of a multi-byte UTF-8 character is ASCII
		c := name[i]
		sep := c == '-' || c == '_' || c == '.'
		switch {
		case !sep:
			b.WriteByte(c)
		case !inRun:
			b.WriteByte('-')
		}
		inRun = sep
	}
	return b.String()
}

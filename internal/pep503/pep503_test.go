package pep503

import "testing"

func TestName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"zope.interface": "zope-interface", "Zope_Interface": "zope-interface", "zope--interface": "zope-interface",
		"Zope._-Interface": "zope-interface", "ruamel.yaml.clib": "ruamel-yaml-clib", "_private.": "-private-",
		"...": "-", "Jinja2": "jinja2", "café.Pkg": "café-pkg", "": "",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

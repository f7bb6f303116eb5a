package audit

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// fieldSet is a set of event fields named by the Field constants; [HMAC] and
// [Sealer] select their fields with it, so both name fields the same way and
// [Protect] can tell whether they overlap.
type fieldSet struct {
	actorID, resource, reason bool
	claims, attrs             map[string]bool
}

// parseFields reads field names for the constructor who. Errors wrap
// [ErrConfig].
func parseFields(who string, fields []string) (fieldSet, error) {
	if len(fields) == 0 {
		return fieldSet{}, fmt.Errorf("%w: %s: no fields named", ErrConfig, who)
	}
	fs := fieldSet{claims: map[string]bool{}, attrs: map[string]bool{}}
	for _, f := range fields {
		switch {
		case f == FieldActorID:
			fs.actorID = true
		case f == FieldResource:
			fs.resource = true
		case f == FieldReason:
			fs.reason = true
		case strings.HasPrefix(f, FieldActorClaims) && len(f) > len(FieldActorClaims):
			fs.claims[f[len(FieldActorClaims):]] = true
		case strings.HasPrefix(f, FieldAttributes) && len(f) > len(FieldAttributes):
			fs.attrs[f[len(FieldAttributes):]] = true
		default:
			return fieldSet{}, fmt.Errorf("%w: %s: unknown field %q (want actor.id, resource, reason, actor.claims.<key> or attributes.<key>)", ErrConfig, who, f)
		}
	}
	return fs, nil
}

// names lists the fields of fs by their Field-constant names, sorted.
func (fs fieldSet) names() []string {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{{fs.actorID, FieldActorID}, {fs.resource, FieldResource}, {fs.reason, FieldReason}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	for k := range fs.claims {
		out = append(out, FieldActorClaims+k)
	}
	for k := range fs.attrs {
		out = append(out, FieldAttributes+k)
	}
	slices.Sort(out)
	return out
}

// overlap returns the fields in both fs and o, sorted.
func (fs fieldSet) overlap(o fieldSet) []string {
	var out []string
	for _, n := range fs.names() {
		if o.has(n) {
			out = append(out, n)
		}
	}
	return out
}

func (fs fieldSet) has(name string) bool {
	switch {
	case name == FieldActorID:
		return fs.actorID
	case name == FieldResource:
		return fs.resource
	case name == FieldReason:
		return fs.reason
	case strings.HasPrefix(name, FieldActorClaims):
		return fs.claims[name[len(FieldActorClaims):]]
	case strings.HasPrefix(name, FieldAttributes):
		return fs.attrs[name[len(FieldAttributes):]]
	}
	return false
}

// rewriteFunc returns the new value of a field; the field's name is
// prefix+key (key is empty for actor.id, resource and reason). It is only
// called for non-empty values: absence is never hidden.
type rewriteFunc func(prefix, key, value string) (string, error)

// rewrite returns a copy of e with each non-empty field of fs (or, with all,
// each non-empty actor.id, resource, reason, claim and attribute) replaced
// by fn's result. e's maps are not modified. On error it returns the zero
// Event, so no half-rewritten event escapes.
func (fs fieldSet) rewrite(e Event, all bool, fn rewriteFunc) (Event, error) {
	for _, f := range []struct {
		on   bool
		name string
		v    *string
	}{{fs.actorID, FieldActorID, &e.Actor.ID}, {fs.resource, FieldResource, &e.Resource}, {fs.reason, FieldReason, &e.Reason}} {
		if (all || f.on) && *f.v != "" {
			nv, err := fn(f.name, "", *f.v)
			if err != nil {
				return Event{}, err
			}
			*f.v = nv
		}
	}
	var err error
	if e.Actor.Claims, err = rewriteMap(e.Actor.Claims, FieldActorClaims, all, fs.claims, fn); err != nil {
		return Event{}, err
	}
	if e.Attributes, err = rewriteMap(e.Attributes, FieldAttributes, all, fs.attrs, fn); err != nil {
		return Event{}, err
	}
	return e, nil
}

func rewriteMap(m map[string]string, prefix string, all bool, keys map[string]bool, fn rewriteFunc) (map[string]string, error) {
	if (!all && len(keys) == 0) || len(m) == 0 {
		return m, nil
	}
	out := maps.Clone(m)
	for k, v := range m {
		if (all || keys[k]) && v != "" {
			nv, err := fn(prefix, k, v)
			if err != nil {
				return nil, err
			}
			out[k] = nv
		}
	}
	return out, nil
}

package inventory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ztci/ztci/internal/clip"
)

// Memory is a [Store] held in this process: an inverted index from package
// key to (admission, version) postings, and indexes by digest, builder,
// signer SAN, key id and policy revision.
// Versions (with their spelling) are interned per package and packages per
// store, so a posting costs 8 bytes. It is lost when the process exits;
// boltinventory persists the same index to a file. The zero value is not
// usable: call [NewMemory].
type Memory struct {
	mu        sync.RWMutex
	adms      []memAdmission
	byID      map[string]uint32
	byDigest  map[string][]uint32
	byBuilder map[string][]uint32
	bySigner  map[string][]uint32
	byKey     map[string][]uint32
	byPolicy  map[string][]uint32
	keys      []*memKey
	keyID     map[string]uint32
}

type memAdmission struct {
	meta Admission // Packages nil
	pkgs []memRef
}

type memRef struct{ key, ver uint32 }

type memKey struct {
	key      string
	variants []memVariant
	varID    map[memVariant]uint32
	postings []memRef // {admission, variant}
}

// memVariant is a version of a package and its spelling ([Entry.Spelled]).
type memVariant struct{ version, spelled string }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{byID: map[string]uint32{}, byDigest: map[string][]uint32{}, byBuilder: map[string][]uint32{},
		bySigner: map[string][]uint32{}, byKey: map[string][]uint32{}, byPolicy: map[string][]uint32{}, keyID: map[string]uint32{}}
}

// Record implements [Store].
func (m *Memory) Record(ctx context.Context, a Admission) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	meta, entries, err := Normalize(a)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.byID[meta.DecisionID]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicate, clip.String(meta.DecisionID, 200))
	}
	id := uint32(len(m.adms))
	rec := memAdmission{meta: meta, pkgs: make([]memRef, len(entries))}
	for i, e := range entries {
		kid, ok := m.keyID[e.Key]
		if !ok {
			kid = uint32(len(m.keys))
			m.keys = append(m.keys, &memKey{key: e.Key, varID: map[memVariant]uint32{}})
			m.keyID[e.Key] = kid
		}
		k := m.keys[kid]
		v := memVariant{e.Version, e.Spelled}
		vid, ok := k.varID[v]
		if !ok {
			vid = uint32(len(k.variants))
			k.variants = append(k.variants, v)
			k.varID[v] = vid
		}
		k.postings = append(k.postings, memRef{key: id, ver: vid})
		rec.pkgs[i] = memRef{key: kid, ver: vid}
	}
	m.adms = append(m.adms, rec)
	m.byID[meta.DecisionID] = id
	m.byDigest[meta.Digest] = append(m.byDigest[meta.Digest], id)
	m.indexBuilders(id, meta.Builders)
	if meta.PolicyRevision != "" {
		m.byPolicy[meta.PolicyRevision] = append(m.byPolicy[meta.PolicyRevision], id)
	}
	for i, sg := range meta.Signers { // each admission once per SAN and key
		if sg.SAN != "" && !slices.ContainsFunc(meta.Signers[:i], func(o Signer) bool { return o.SAN == sg.SAN }) {
			m.bySigner[sg.SAN] = append(m.bySigner[sg.SAN], id)
		}
		if sg.KeyID != "" && !slices.ContainsFunc(meta.Signers[:i], func(o Signer) bool { return o.KeyID == sg.KeyID }) {
			m.byKey[sg.KeyID] = append(m.byKey[sg.KeyID], id)
		}
	}
	return nil
}

// indexBuilders lists admission id under each of its builders, and under
// each one's id before its "@": a query by that id selects the builder at
// every ref (BuilderSelects). Each list names the admission once, though
// two builders may share a base (…@v1, …@v2).
func (m *Memory) indexBuilders(id uint32, builders []string) {
	seen := map[string]bool{}
	for _, b := range builders {
		keys := []string{b}
		if base, _, ok := strings.Cut(b, "@"); ok && base != "" {
			keys = append(keys, base)
		}
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				m.byBuilder[k] = append(m.byBuilder[k], id)
			}
		}
	}
}

// Query implements [Store]. A package query reads only the postings of
// that package; other queries read only the admissions of the shortest
// index list among their criteria, and list the packages of the newest
// Limit of those that match only.
func (m *Memory) Query(ctx context.Context, q Query) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	mt, err := Compile(q)
	if err != nil {
		return Result{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var hits []Admission
	if mt.Key == "" {
		var ids []uint32
		first := true
		for _, c := range []struct {
			v   string
			idx map[string][]uint32
		}{{mt.Digest, m.byDigest}, {mt.Builder, m.byBuilder}, {mt.Signer, m.bySigner}, {mt.KeyID, m.byKey}, {mt.PolicyRevision, m.byPolicy}} {
			if c.v != "" && (first || len(c.idx[c.v]) < len(ids)) {
				ids, first = c.idx[c.v], false
			}
		}
		// Only the admissions the result holds (the newest Limit, in
		// Finish's order) get their packages; the one after them is kept,
		// bare, so that Finish sees more matched.
		var sel []uint32
		for _, id := range ids {
			if mt.Admits(&m.adms[id].meta) {
				sel = append(sel, id)
			}
		}
		slices.SortFunc(sel, func(x, y uint32) int {
			a, b := &m.adms[x].meta, &m.adms[y].meta
			return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(a.DecisionID, b.DecisionID))
		})
		if len(sel) > mt.Limit {
			hits = append(hits, Admission{DecisionID: m.adms[sel[mt.Limit]].meta.DecisionID, Time: m.adms[sel[mt.Limit]].meta.Time})
			sel = sel[:mt.Limit]
		}
		for _, id := range sel {
			a := m.adms[id]
			out := m.result(a.meta, mt)
			out.Packages = make([]Package, len(a.pkgs))
			for i, r := range a.pkgs {
				k := m.keys[r.key]
				v := k.variants[r.ver]
				out.Packages[i] = Entry{Key: k.key, Version: v.version, Spelled: v.spelled}.Package()
			}
			hits = append(hits, out)
		}
		return mt.Finish(hits), nil
	}
	kid, ok := m.keyID[mt.Key]
	if !ok {
		return mt.Finish(nil), nil
	}
	k := m.keys[kid]
	selected := make([]*Package, len(k.variants))
	for i, v := range k.variants {
		if p, ok := mt.Match(v.version, v.spelled); ok {
			selected[i] = &p
		}
	}
	last := -1 // postings of one admission are adjacent
	for _, p := range k.postings {
		sel := selected[p.ver]
		if sel == nil {
			continue
		}
		a := &m.adms[p.key]
		if !mt.Admits(&a.meta) {
			continue
		}
		if int(p.key) == last {
			hits[len(hits)-1].Packages = append(hits[len(hits)-1].Packages, *sel)
			continue
		}
		out := m.result(a.meta, mt)
		out.Packages = []Package{*sel}
		hits = append(hits, out)
		last = int(p.key)
	}
	return mt.Finish(hits), nil
}

// result is a copy of meta for a query result: it shares nothing with the
// store, and carries the policy input only when the query asks for it.
func (m *Memory) result(meta Admission, mt *Matcher) Admission {
	meta.Signers = slices.Clone(meta.Signers)
	meta.Builders = slices.Clone(meta.Builders)
	if mt.WithPolicyInput {
		meta.PolicyInput = bytes.Clone(meta.PolicyInput)
	} else {
		meta.PolicyInput = nil
	}
	return meta
}

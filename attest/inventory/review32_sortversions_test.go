package inventory_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
)

// TestReview32SortVersions: SortVersions, which drift sorts OSV events
// with (each version parsed once), orders as CompareVersions does, keeps
// versions equal in the ordering in input order under one rank, and
// leaves its input alone when it refuses it.
func TestReview32SortVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, typ string
		in, want  []string
		ranks     []int
		err       error
	}{
		{"golang", "golang", []string{"v1.10.0", "1.2.3", "v1.2.3", "v1.2.3-rc.1"}, []string{"v1.2.3-rc.1", "1.2.3", "v1.2.3", "v1.10.0"}, []int{0, 1, 1, 2}, nil},
		{"deb tilde and epoch", "deb", []string{"1:0.1", "1.0", "1.0~rc1"}, []string{"1.0~rc1", "1.0", "1:0.1"}, []int{0, 1, 2}, nil},
		{"maven qualifiers", "maven", []string{"1.0", "1.0-SNAPSHOT", "1.0-final", "1.0-sp1"}, []string{"1.0-SNAPSHOT", "1.0", "1.0-final", "1.0-sp1"}, []int{0, 1, 1, 2}, nil},
		{"empty", "npm", nil, nil, []int{}, nil},
		{"unparsable", "npm", []string{"2.0.0", "not a version"}, []string{"2.0.0", "not a version"}, nil, inventory.ErrInvalidVersion},
		{"no ordering", "generic", []string{"b", "a"}, []string{"b", "a"}, nil, inventory.ErrUnsupportedEcosystem},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vs := slices.Clone(tc.in)
			ranks, err := inventory.SortVersions(tc.typ, vs)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(vs, tc.want) || tc.err == nil && !slices.Equal(ranks, tc.ranks) {
				t.Fatalf("SortVersions(%q) = %q, ranks %v; want %q, %v", tc.in, vs, ranks, tc.want, tc.ranks)
			}
			for i := 1; tc.err == nil && i < len(vs); i++ {
				c, err := inventory.CompareVersions(tc.typ, vs[i-1], vs[i])
				if err != nil || c != -min(ranks[i]-ranks[i-1], 1) {
					t.Fatalf("CompareVersions(%q, %q) = %d, %v; ranks %d, %d", vs[i-1], vs[i], c, err, ranks[i-1], ranks[i])
				}
			}
		})
	}
}

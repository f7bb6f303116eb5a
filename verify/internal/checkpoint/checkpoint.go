// Package checkpoint reads what a transparency log's signed checkpoint (a
// signed note: origin, tree size, base64 root hash, other lines, a blank
// line, signatures) says about its tree, so that an inclusion proof can be
// held to the tree size and root hash the log signed. It verifies no
// signature: the caller's verifier does (sigstore-go for bundles).
package checkpoint

import (
	"bytes"
	"encoding/base64"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Checkpoint is the tree a checkpoint describes.
type Checkpoint struct {
	// Origin is the first line: the log's name (Rekor v1 adds " - " and
	// its tree id).
	Origin string
	// Size is the number of leaves in the tree.
	Size int64
	// Root is the tree's root hash.
	Root []byte
	// RekorV1 reports whether sigstore-go reads the checkpoint as a Rekor
	// v1 signed tree head (an origin ending in " - <tree id>" and at least
	// four lines) and so verifies the entry's inclusion as Rekor v1's
	// (the proof's own index, size and root) rather than Rekor v2's.
	RekorV1 bool
}

// rekorV1Origin is sigstore-go's test for a Rekor v1 checkpoint origin
// (pkg/verify hasRekorV1STH).
var rekorV1Origin = regexp.MustCompile(".* - [0-9]+$")

// Parse reads the checkpoint's origin, size and root hash. ok is false for
// anything a log does not write: no signature block, an empty origin, a
// size that is not canonical decimal within int64, a root hash that is not
// canonical base64.
func Parse(note string) (c Checkpoint, ok bool) {
	// The fields are the first three lines of the text, which ends at the
	// blank line before the signatures (readers split at the last one; a
	// split anywhere after the third line leaves the same three).
	text, _, found := strings.Cut(note, "\n\n")
	if !found {
		return Checkpoint{}, false
	}
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 3 || lines[0] == "" {
		return Checkpoint{}, false
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || n > math.MaxInt64 || strconv.FormatUint(n, 10) != lines[1] {
		return Checkpoint{}, false
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) == 0 || strings.ContainsAny(lines[2], "\r\n") {
		return Checkpoint{}, false
	}
	v1 := strings.Count(note, "\n") >= 3 && rekorV1Origin.MatchString(strings.SplitN(note, "\n", 2)[0])
	return Checkpoint{Origin: lines[0], Size: int64(n), Root: root, RekorV1: v1}, true
}

// Signs reports whether note is a checkpoint of a tree of size treeSize and
// root hash root. sigstore-go (and rekor's pkg/verify) check a Rekor v1
// checkpoint's signature and that its root hash is the proof's, but not
// its size: without this, the size (and so the index) the proof is
// computed for would be the log's word alone.
func Signs(note string, treeSize int64, root []byte) bool {
	c, ok := Parse(note)
	return ok && c.Size == treeSize && bytes.Equal(c.Root, root)
}

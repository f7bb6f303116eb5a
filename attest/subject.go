package attest

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/ztci/ztci/internal/clip"
)

// subjectHashes are the algorithms SubjectFromReader can compute.
var subjectHashes = map[string]func() hash.Hash{
	AlgSHA256: sha256.New,
	AlgSHA384: sha512.New384,
	AlgSHA512: sha512.New,
}

// chunkSize is the read size for streaming digests: large enough to keep the
// hash fed, small enough that memory stays flat and ctx is checked often.
const chunkSize = 1 << 20

// SubjectFromReader streams r once and returns a subject named name with a
// digest for each algorithm in algs (AlgSHA256 when algs is empty; AlgSHA384
// and AlgSHA512 on request; anything else is ErrUnknownAlgorithm). Memory use
// is constant in the size of r. ctx is checked between 1 MiB chunks.
func SubjectFromReader(ctx context.Context, name string, r io.Reader, algs ...string) (ResourceDescriptor, error) {
	if len(algs) == 0 {
		algs = []string{AlgSHA256}
	}
	hs := make([]hash.Hash, 0, len(algs))
	ws := make([]io.Writer, 0, len(algs))
	for _, a := range algs {
		mk, ok := subjectHashes[a]
		if !ok {
			return ResourceDescriptor{}, fmt.Errorf("%w: %q (want one of sha256, sha384, sha512)", ErrUnknownAlgorithm, clip.String(a, 80))
		}
		h := mk()
		hs = append(hs, h)
		ws = append(ws, h)
	}
	var w io.Writer = hs[0]
	if len(hs) > 1 {
		w = io.MultiWriter(ws...)
	}
	buf := make([]byte, chunkSize)
	for {
		if err := ctx.Err(); err != nil {
			return ResourceDescriptor{}, fmt.Errorf("attest: digest %s: %w", clip.String(name, 80), err)
		}
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n]) // hash.Hash never returns an error
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ResourceDescriptor{}, fmt.Errorf("attest: digest %s: %w", clip.String(name, 80), err)
		}
	}
	d := make(DigestSet, len(algs))
	for i, a := range algs {
		d[a] = hex.EncodeToString(hs[i].Sum(nil))
	}
	return ResourceDescriptor{Name: name, Digest: d}, nil
}

// SubjectFromFile digests the file at path (see SubjectFromReader); the
// subject's name is the file's base name.
func SubjectFromFile(ctx context.Context, path string, algs ...string) (ResourceDescriptor, error) {
	f, err := os.Open(path)
	if err != nil {
		return ResourceDescriptor{}, fmt.Errorf("attest: subject: %w", err)
	}
	defer f.Close()
	return SubjectFromReader(ctx, filepath.Base(path), f, algs...)
}

// OCIDescriptor is the part of an OCI content descriptor a subject needs,
// with the OCI field names; copy them from go-containerregistry's
// v1.Descriptor (Digest.String()) or any OCI client.
type OCIDescriptor struct {
	MediaType string
	Digest    string // "sha256:<hex>" or "sha512:<hex>"
	Size      int64
}

// SubjectFromOCI returns a subject for an image, index or blob by its
// registry digest; name is typically the repository ("registry/repo").
// Only the OCI-registered algorithms sha256 and sha512 are accepted.
func SubjectFromOCI(name string, d OCIDescriptor) (ResourceDescriptor, error) {
	dg, err := ParseDigest(d.Digest)
	if err != nil {
		return ResourceDescriptor{}, err
	}
	if !slices.Contains([]string{AlgSHA256, AlgSHA512}, dg.Algorithm) {
		return ResourceDescriptor{}, fmt.Errorf("%w: %q is not an OCI digest algorithm", ErrUnknownAlgorithm, dg.Algorithm)
	}
	return ResourceDescriptor{Name: name, Digest: dg.Set(), MediaType: d.MediaType}, nil
}

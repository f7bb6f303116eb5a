package policy

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing/fstest"
	"unicode"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// Limits on what a Source reads, so that a hostile or broken policy
// source cannot exhaust memory.
const (
	// MaxPolicyFileBytes bounds each file of a policy (module or data).
	MaxPolicyFileBytes = 8 << 20
	// MaxBundleBytes bounds a bundle tarball, compressed and uncompressed,
	// and the files it holds together (as read: a sparse file counts at
	// its full size).
	MaxBundleBytes = 64 << 20
	// MaxRevisionBytes bounds a policy's revision, which every Decision,
	// audit event and issued verification summary carries.
	MaxRevisionBytes = 512
)

// checkRevision refuses a revision that is longer than MaxRevisionBytes,
// is not UTF-8 or holds a character that is not printable (a control, a
// line break, a bidirectional override, a zero-width or other format
// character; the ASCII space is the only space allowed). The revision is
// written as is into every Decision (Decision.String's "rev=" included),
// audit event and log line: a .manifest revision holding "\n" forged a
// line of any log that writes Decision.String(), and one of 8 MiB was
// copied into every decision.
func checkRevision(rev string) error {
	if len(rev) > MaxRevisionBytes {
		return fmt.Errorf("%w: revision %q is longer than %d bytes", ErrLoad, clip.String(rev, 64), MaxRevisionBytes)
	}
	if !utf8.ValidString(rev) {
		return fmt.Errorf("%w: revision %q is not UTF-8", ErrLoad, rev)
	}
	for _, r := range rev {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: revision %q holds %U, which is not printable", ErrLoad, rev, r)
		}
	}
	return nil
}

// Bundle is a loaded policy: Rego modules and data documents.
type Bundle struct {
	// Modules maps a module's path to its Rego source. Files ending in
	// "_test.rego" are tests: they are run by policytest and never compiled
	// into an evaluator.
	Modules map[string]string
	// Data is the base document policies read under `data`.
	Data map[string]any
	// Revision is the bundle manifest's revision, if it declares one.
	Revision string
}

// digest returns "sha256:<hex>" over the modules (by path) and data.
func (b *Bundle) digest() (string, error) {
	h := sha256.New()
	for _, p := range slices.Sorted(maps.Keys(b.Modules)) {
		fmt.Fprintf(h, "module %d:%s %d:", len(p), p, len(b.Modules[p]))
		io.WriteString(h, b.Modules[p])
	}
	data, err := json.Marshal(b.Data) // map keys are sorted: canonical enough
	if err != nil {
		return "", fmt.Errorf("%w: data is not JSON: %w", ErrLoad, err)
	}
	fmt.Fprintf(h, "data %d:", len(data))
	h.Write(data)
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// jsonData returns b.Data in the form OPA's store expects (maps, slices,
// strings, json.Number, bools, nil), copied through JSON.
func (b *Bundle) jsonData() (map[string]any, error) {
	raw, err := json.Marshal(b.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: data is not JSON: %w", ErrLoad, err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out map[string]any
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: data: %w", ErrLoad, err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// isTest reports whether path is a Rego test file.
func isTest(path string) bool { return strings.HasSuffix(path, "_test.rego") }

// Source loads a policy. Load is called once by [New] and again on every
// reload; it must return a fresh Bundle each time and may be called
// concurrently with evaluations (never with itself).
type Source interface {
	Load(ctx context.Context) (*Bundle, error)
}

// SourceFunc adapts a function to a [Source].
type SourceFunc func(ctx context.Context) (*Bundle, error)

// Load calls f(ctx).
func (f SourceFunc) Load(ctx context.Context) (*Bundle, error) { return f(ctx) }

// FS loads a policy laid out like an OPA bundle directory from fsys: *.rego
// modules, data.json / data.yaml documents placed at their directory's
// path, and an optional .manifest with a revision. Use it with embed.FS.
//
// It reads every file once, with the limits and checks of [ReadBundle]
// (together at most [MaxBundleBytes]), and refuses an entry that is
// neither a regular file nor a directory, such as a symbolic link.
func FS(fsys fs.FS) Source {
	return SourceFunc(func(ctx context.Context) (*Bundle, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLoad, err)
		}
		snap, err := snapshotFS(fsys)
		if err != nil {
			return nil, err
		}
		loader, err := bundle.NewFSLoader(snap)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLoad, err)
		}
		return readBundle(bundle.NewCustomReader(loader))
	})
}

// Dir loads a policy from the directory at path, laid out as for [FS]. It
// reads the directory afresh on every Load, so it suits hot reload. No
// file is read from outside the directory, and a path that is not a
// directory, or an entry that is neither a directory nor a regular file
// (a FIFO put there is not waited on), is refused with [ErrLoad].
func Dir(path string) Source {
	return SourceFunc(func(ctx context.Context) (*Bundle, error) {
		root, err := os.OpenRoot(dirPath(path))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLoad, err)
		}
		defer root.Close()
		return FS(nonblockFS{root}).Load(ctx)
	})
}

// nonblockFS is a Dir's files, opened without waiting on a FIFO: the walk
// refuses one it lists, but a FIFO put in a file's place after the walk
// listed it was opened, and the open waited for a writer for ever.
// readFSFile then refuses it as no longer a regular file.
type nonblockFS struct{ root *os.Root }

func (n nonblockFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := n.root.OpenFile(name, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil fs.File
	}
	return f, nil
}

// fsEntryBytes is what each file or directory of an FS counts towards
// MaxBundleBytes besides its content, as a tar header does in a tarball:
// without it a million empty files cost the loader memory and nothing of
// the limit.
const fsEntryBytes = 512

// snapshotFS reads fsys into memory once, with the checks checkTarball
// makes of a tarball: OPA's loader read an FS without any of them, so a
// directory's data.json could repeat a member, ".gate/data.json" load as
// data.gate and a .manifest's "Revision" name the revision, and nothing
// bounded the files together. OPA's loader skips symbolic links, which
// `opa eval -d`, git and a reviewer follow, so a link is refused rather
// than skipped; and a file that turned into one, a FIFO or a device
// after the walk saw it is refused when opened. Reading once also means
// the checks see what the loader loads.
func snapshotFS(fsys fs.FS) (fstest.MapFS, error) {
	snap := fstest.MapFS{}
	seen := map[string]bool{}
	var total int64
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if total += fsEntryBytes; total > MaxBundleBytes {
			return fmt.Errorf("%w: policy files hold more than %d bytes", ErrLoad, MaxBundleBytes)
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %q is not a regular file or directory (%v)", ErrLoad, clip.String(name, 256), d.Type())
		}
		if err := checkBundlePath(name, seen); err != nil {
			return err
		}
		b, err := readFSFile(fsys, name, MaxBundleBytes-total)
		if err != nil {
			return err
		}
		if _, err := checkBundleFile(bytes.NewReader(b), name, MaxBundleBytes-total); err != nil {
			return err
		}
		total += int64(len(b))
		snap[name] = &fstest.MapFile{Data: b, Mode: 0o444}
		return nil
	})
	if err != nil {
		return nil, wrapLoad(err)
	}
	return snap, nil
}

// readFSFile reads name, a regular file when opened, of at most
// min(limit, MaxPolicyFileBytes) bytes.
func readFSFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %q is no longer a regular file", ErrLoad, clip.String(name, 256))
	}
	limit = min(limit, MaxPolicyFileBytes)
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %q is larger than %d bytes, or the policy files together are larger than %d", ErrLoad,
			clip.String(name, 256), MaxPolicyFileBytes, MaxBundleBytes)
	}
	return b, nil
}

// BundleFile loads an OPA bundle tarball (.tar.gz, as built by `opa build`)
// from path, reading it afresh on every Load, with the limits and checks of
// [ReadBundle]. Anything at path but a regular file (a symbolic link is
// followed) is refused with [ErrLoad] without waiting on it: a FIFO there
// stalled the reload for ever.
//
// Bundle signatures (.signatures.json) are not verified here: establish the
// tarball's provenance before loading it (for example with ztci's verify
// package).
func BundleFile(path string) Source {
	return SourceFunc(func(ctx context.Context) (*Bundle, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLoad, err)
		}
		f, err := openRegular(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadBundle(f)
	})
}

// openRegular opens the regular file at path, refusing anything else with
// ErrLoad. os.Open of a FIFO waits for a writer: a bundle path replaced by
// one (or by a link to a tty) stalled the reload for ever, and with it
// every later reload (an expiring policy then stops every decision). The
// Stat keeps a device or FIFO found there from being opened at all
// (opening some devices acts: a watchdog arms); the open does not wait,
// and the opened file is checked again, as the path may change between.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLoad, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLoad, err)
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLoad, err)
		}
		return nil, notRegular(path, fi.Mode())
	}
	return f, nil
}

func notRegular(path string, mode fs.FileMode) error {
	return fmt.Errorf("%w: %q is not a regular file (%v)", ErrLoad, clip.String(path, 256), mode.Type())
}

// ReadBundle reads an OPA bundle tarball (.tar.gz) from r: at most
// [MaxBundleBytes] of tarball, of inflated tar and of the files it holds
// together. It refuses a tarball that holds one file
// path twice, a path with a ".." element, an entry that is neither a
// regular file nor a directory (OPA's loader skips a link, tar extracts
// it), a data file whose directory
// OPA's loader would read as another (".x/data.json" is data.x), or a
// data.json, data.yaml or .manifest that repeats a member or is not
// UTF-8, a file named like a module, data document or manifest in
// another case only ("deny.Rego", which OPA's loader skips), or a
// compiled policy (a *.wasm, plan.json or plan.pb file, a
// binary .manifest.pb, or a .manifest with wasm entries): each
// would load a policy other than the one tar, a reviewer or `opa build`
// sees in it.
func ReadBundle(r io.Reader) (*Bundle, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read bundle: %w", ErrLoad, err)
	}
	if len(raw) > MaxBundleBytes {
		return nil, fmt.Errorf("%w: bundle larger than %d bytes", ErrLoad, MaxBundleBytes)
	}
	if err := checkTarball(raw); err != nil {
		return nil, err
	}
	return readBundle(bundle.NewCustomReader(bundle.NewTarballLoader(bytes.NewReader(raw))))
}

// errInflated marks an inflated tarball over MaxBundleBytes.
var errInflated = fmt.Errorf("%w: bundle inflates to more than %d bytes", ErrLoad, MaxBundleBytes)

// capReader fails with errInflated past n bytes, where io.LimitReader would
// end the tar stream early and the reader report a truncated archive.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n < 0 {
		return n, errInflated
	}
	return n, err
}

// checkTarball walks the tarball as OPA's loader will, before the loader
// holds every regular file of it in memory at once. The files are counted
// as that loader reads them, not as the archive stores them: a sparse
// entry, some 30 bytes of the gzip stream, reads as up to
// MaxPolicyFileBytes of zeros, so a 1.3 KiB tarball made the loader
// allocate 320 MiB, and one of MaxBundleBytes far more than any machine
// has.
func checkTarball(raw []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%w: bundle is not gzip: %w", ErrLoad, err)
	}
	tr := tar.NewReader(&capReader{r: zr, n: MaxBundleBytes})
	seen := map[string]bool{}
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return tarError(err)
		}
		switch h.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir, tar.TypeXGlobalHeader: // git archive writes the commit into a global header
			continue
		default:
			// OPA's loader skips every other entry, which tar extracts: a
			// link "deny.rego" (or a sparse, contiguous or device one)
			// showed a reviewer a rule the engine never loaded.
			return fmt.Errorf("%w: bundle entry %q is not a regular file or directory (type %q)", ErrLoad,
				clip.String(h.Name, 256), h.Typeflag)
		}
		if err := checkBundlePath(h.Name, seen); err != nil {
			return err
		}
		n, err := checkBundleFile(tr, h.Name, MaxBundleBytes-total)
		if err != nil {
			return tarError(err)
		}
		if total += n; total > MaxBundleBytes {
			return fmt.Errorf("%w: bundle's files hold more than %d bytes", ErrLoad, MaxBundleBytes)
		}
	}
}

// manifestSchema is the member names of OPA's bundle manifest, which its
// loader decodes into bundle.Manifest with encoding/json
// (util.NewJSONDecoder), matching them case-insensitively.
var manifestSchema = sync.OnceValue(func() *strictjson.Schema { return strictjson.SchemaOf(reflect.TypeFor[bundle.Manifest]()) })

// checkBundleFile reads a file of a bundle tarball, at most limit+1 bytes,
// and returns how many it read. The JSON documents OPA's loader reads
// (data.json, and a .manifest) must be UTF-8 and repeat no member:
// encoding/json keeps the last of `"signers": [...]` written twice, and
// turns distinct invalid names into one, while a reviewer reads the
// first. A .manifest may not spell a member of OPA's manifest in another
// case either ("Revision", "reviſion", "Module" in a wasm entry): OPA
// decodes it into a struct, where encoding/json reads such a member as
// the real one (the last of the two), and jq or a reviewer reads it as
// another member or none, so one manifest named two revisions. data.json
// is decoded into maps, whose keys OPA reads exactly: there, names that
// differ only in case are two members. A data.yaml is checked by
// checkYAMLData.
func checkBundleFile(r io.Reader, name string, limit int64) (int64, error) {
	name = filepath.ToSlash(name)
	yamlData := bundle.IsYAMLDataFile(name)
	if path.Base(name) != "data.json" && !strings.HasSuffix(name, ".manifest") && !yamlData {
		return io.Copy(io.Discard, io.LimitReader(r, limit+1))
	}
	b, err := io.ReadAll(io.LimitReader(r, min(limit, MaxPolicyFileBytes)+1))
	if err != nil || int64(len(b)) > limit {
		return int64(len(b)), err
	}
	if len(b) > MaxPolicyFileBytes {
		return 0, fmt.Errorf("%w: %q is larger than %d bytes", ErrLoad, clip.String(name, 256), MaxPolicyFileBytes)
	}
	check := strictjson.CheckRepeats
	switch {
	case yamlData:
		check = checkYAMLData
	case strings.HasSuffix(name, ".manifest"):
		check = func(b []byte) error {
			if err := manifestSchema().CheckRepeats(b); err != nil {
				return err
			}
			return checkManifestCompiled(b)
		}
	}
	if err := check(b); err != nil {
		return 0, fmt.Errorf("%w: %q: %w", ErrLoad, clip.String(name, 256), err)
	}
	return int64(len(b)), nil
}

func tarError(err error) error {
	if errors.Is(err, ErrLoad) {
		return err
	}
	return fmt.Errorf("%w: bundle: %w", ErrLoad, err)
}

// checkBundlePath refuses a file path of a bundle tarball that seen holds
// already (once cleaned: "p.rego", "./p.rego" and "//p.rego" are one
// path; tar keeps the last, OPA's loader both), that has a ".." element,
// or that is a data file OPA's loader places elsewhere than its directory
// says (it strips every leading '.' and '/' of the directory).
func checkBundlePath(name string, seen map[string]bool) error {
	name = filepath.ToSlash(name) // as OPA's loader reads it on this system
	if slices.Contains(strings.Split(name, "/"), "..") {
		return fmt.Errorf("%w: bundle path %q has a \"..\" element", ErrLoad, clip.String(name, 256))
	}
	p := path.Clean("/" + name)
	if seen[p] {
		return fmt.Errorf("%w: %q appears twice in the bundle", ErrLoad, clip.String(p, 256))
	}
	seen[p] = true
	if compiledPolicyFile(p) {
		return fmt.Errorf("%w: bundle file %q is a compiled policy or binary manifest; only Rego is evaluated", ErrLoad, clip.String(name, 256))
	}
	if loaderNameInOtherCase(p) {
		return fmt.Errorf("%w: bundle file %q is named like a policy, data or manifest file in another case, which OPA's loader skips", ErrLoad,
			clip.String(name, 256))
	}
	switch path.Base(p) {
	case "data.json", "data.yaml", "data.yml":
		dir := path.Dir(p)
		if strings.TrimLeft(dir, "/.") != strings.TrimPrefix(dir, "/") {
			return fmt.Errorf("%w: data file %q would be read as data under %q", ErrLoad,
				clip.String(name, 256), clip.String(strings.TrimLeft(dir, "/."), 256))
		}
	}
	return nil
}

// compiledPolicyFile reports whether p (cleaned) is a file OPA's loader
// reads as a compiled policy (policy.wasm, plan.json, plan.pb), any other
// wasm module, or a protobuf .manifest.pb, whatever its case. ztci
// evaluates Rego only: such a file is a policy a reviewer reads and the
// engine never evaluates, or one OPA evaluates and a reviewer of the Rego
// never read; a binary manifest is one no reviewer reads at all.
func compiledPolicyFile(p string) bool {
	lower := strings.ToLower(p)
	switch path.Base(lower) {
	case bundle.PlanFile, bundle.PlanProtoFile:
		return true
	}
	return strings.HasSuffix(lower, ".wasm") || strings.HasSuffix(lower, bundle.ManifestProtoExt)
}

// loaderNameInOtherCase reports whether p (cleaned) names a file OPA's
// loader reads (a *.rego module, a data.json, data.yaml or data.yml
// document, a *.manifest) in another case only: the loader matches these
// names exactly and skips "deny.Rego" or "Data.json", which a reviewer, an
// editor and a case-insensitive file system read as the policy's.
func loaderNameInOtherCase(p string) bool {
	base := path.Base(p)
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".rego"):
		return !strings.HasSuffix(base, ".rego")
	case strings.HasSuffix(lower, bundle.ManifestExt):
		return !strings.HasSuffix(base, bundle.ManifestExt)
	case lower == "data.json" || lower == "data.yaml" || lower == "data.yml":
		return base != lower
	}
	return false
}

// checkManifestCompiled refuses a .manifest naming compiled policy: a
// non-empty "wasm" member (entrypoints OPA would route to a wasm module)
// or a "plan" one, in any case, as encoding/json matches member names.
func checkManifestCompiled(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil // OPA's loader reports the malformed manifest
	}
	for k, v := range m {
		if (strings.EqualFold(k, "wasm") || strings.EqualFold(k, "plan")) && !emptyJSON(v) {
			return fmt.Errorf("manifest member %q names compiled policy; only Rego is evaluated", clip.String(k, 64))
		}
	}
	return nil
}

// emptyJSON reports whether v, a decoded JSON value, is null, "", [] or {}.
func emptyJSON(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func readBundle(r *bundle.Reader) (*Bundle, error) {
	b, err := r.WithSizeLimitBytes(MaxPolicyFileBytes).WithRegoVersion(ast.RegoV1).Read()
	if err != nil {
		var astErrs ast.Errors
		if asErrors(err, &astErrs) {
			return nil, compileError(err)
		}
		return nil, fmt.Errorf("%w: %w", ErrLoad, err)
	}
	out := &Bundle{
		Modules:  make(map[string]string, len(b.Modules)),
		Data:     b.Data,
		Revision: b.Manifest.Revision,
	}
	if err := checkRevision(out.Revision); err != nil {
		return nil, err
	}
	// checkBundlePath and checkBundleFile refuse these first; this keeps
	// any other route to the loader from loading a policy ztci ignores.
	if len(b.WasmModules) > 0 || len(b.PlanModules) > 0 || len(b.Manifest.WasmResolvers) > 0 {
		return nil, fmt.Errorf("%w: bundle holds a compiled (wasm or plan) policy; only Rego is evaluated", ErrLoad)
	}
	for _, m := range b.Modules {
		// checkTarball refuses a tarball holding one path twice; this
		// keeps a path the loader formats another way from overwriting a
		// module here (either copy could be one other tools do not read
		// as the bundle's).
		p := path.Clean(strings.TrimPrefix(m.Path, "/"))
		if _, dup := out.Modules[p]; dup {
			return nil, fmt.Errorf("%w: module %q appears twice in the bundle", ErrLoad, p)
		}
		out.Modules[p] = string(m.Raw)
	}
	if out.Data == nil {
		out.Data = map[string]any{}
	}
	return out, nil
}

// Data is a Source of data documents only, e.g. the configuration of the
// built-in library. doc must be JSON-compatible; it is copied on Load.
func Data(doc map[string]any) Source {
	return SourceFunc(func(context.Context) (*Bundle, error) {
		cp, err := (&Bundle{Data: doc}).jsonData()
		if err != nil {
			return nil, err
		}
		return &Bundle{Modules: map[string]string{}, Data: cp}, nil
	})
}

// Merge combines sources into one: the union of their modules (the same
// path twice is an error) and their data merged deeply (the same leaf twice
// is an error). The revision is the sources' revisions joined by "+" if
// every source declares one.
func Merge(srcs ...Source) Source {
	return SourceFunc(func(ctx context.Context) (*Bundle, error) {
		out := &Bundle{Modules: map[string]string{}, Data: map[string]any{}}
		revs := make([]string, 0, len(srcs))
		for i, s := range srcs {
			if s == nil {
				return nil, fmt.Errorf("%w: source %d is nil", ErrLoad, i)
			}
			b, err := s.Load(ctx)
			if err != nil {
				return nil, fmt.Errorf("source %d: %w", i, err)
			}
			if b == nil {
				return nil, fmt.Errorf("%w: source %d returned no bundle", ErrLoad, i)
			}
			for p, m := range b.Modules {
				if _, dup := out.Modules[p]; dup {
					return nil, fmt.Errorf("%w: source %d: module %q defined twice", ErrLoad, i, p)
				}
				out.Modules[p] = m
			}
			if err := mergeData(out.Data, b.Data, "data"); err != nil {
				return nil, fmt.Errorf("%w: source %d: %w", ErrLoad, i, err)
			}
			if b.Revision != "" {
				revs = append(revs, b.Revision)
			}
		}
		if len(revs) == len(srcs) {
			out.Revision = strings.Join(revs, "+")
		}
		return out, nil
	})
}

func mergeData(dst, src map[string]any, path string) error {
	for k, v := range src {
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		om, ok1 := old.(map[string]any)
		nm, ok2 := v.(map[string]any)
		if !ok1 || !ok2 {
			return fmt.Errorf("%s.%s defined twice", path, k)
		}
		cp := maps.Clone(om)
		if err := mergeData(cp, nm, path+"."+k); err != nil {
			return err
		}
		dst[k] = cp
	}
	return nil
}

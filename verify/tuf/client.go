package tuf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	sgtuf "github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata"
	tufconfig "github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/ztci/ztci/internal/x509ca"
	"github.com/ztci/ztci/verify"
)

// cacheLayout is the directory under the caller's cache root that holds
// one subdirectory per (anchor, repository URL). sigstore-go's URLToPath
// (cacheRoot/<host-path>, the layout before) cannot produce it nested: it
// makes one flat name, so a cache written there by an earlier version is
// never read, only left behind (the client fetches again from its anchor).
const cacheLayout = "ztci-tuf"

// cacheKeyLabel separates this key's hash from any other use of SHA-256.
const cacheKeyLabel = "ztci verify/tuf cache v1\x00"

// cacheSubdir names the cache directory of one client: the SHA-256 of the
// anchor's exact bytes and of the repository URL exactly as configured.
// sigstore-go's URLToPath folds case, '/' and ':' into '-' and drops the
// scheme, so https://h/a-b, https://h/a/b, https://H/A-B and http://h/a-b
// shared a directory, and a client also started from whatever root.json
// another client (another anchor) had cached there if it was self-signed
// and new enough: another repository's keys then chose its trusted root.
// Keyed by both, a directory only ever holds metadata that go-tuf verified
// from this anchor at this URL.
func cacheSubdir(tufRoot []byte, mirror string) string {
	anchor := sha256.Sum256(tufRoot)
	h := sha256.New()
	h.Write([]byte(cacheKeyLabel))
	h.Write(anchor[:])
	h.Write([]byte(mirror))
	return filepath.Join(cacheLayout, hex.EncodeToString(h.Sum(nil)))
}

// maxRootSize bounds the cached root.json read at each refresh (go-tuf's
// own bound for a downloaded root).
const maxRootSize = 512000

// maxCachedFile bounds each file copied between the cache and a staging
// directory: the largest that go-tuf (MaxDownloadSize) or the target bound
// lets in.
const maxCachedFile = MaxDownloadSize

// PublicGoodMirror is the Sigstore public-good TUF repository.
const PublicGoodMirror = sgtuf.DefaultMirror

// PublicGoodRoot returns the TUF root.json that sigstore-go embeds for the
// public-good repository: the trust anchor to pass to Open with
// PublicGoodMirror.
func PublicGoodRoot() []byte { return sgtuf.DefaultRoot() }

// Root is one trusted root established through TUF.
type Root struct {
	// Material is the trusted root target parsed by verify.ParseTrustedRoot
	// and wrapped by verify.NewTrust; it is the same value for as long as the
	// Revision stays the same, so verify's memos survive refreshes.
	Material root.TrustedMaterial
	// Revision is "sha256:" and the hex SHA-256 of the trusted root target:
	// it changes exactly when the trusted root does.
	Revision string
	// Expires is the earliest expiry of the TUF root, timestamp, snapshot
	// and targets metadata that vouched for the target, delegated targets
	// roles included. From that instant the root is refused (ErrExpired)
	// until a refresh succeeds.
	Expires time.Time
	// Version is the version of the TUF root metadata (root.json).
	Version int64

	// versions are those of the timestamp, snapshot and top-level targets
	// metadata behind this root: a later update may not go below them.
	versions [3]int64
}

// Client keeps the trusted root of one TUF repository. Open establishes the
// first root (from the cache when it is complete and unexpired, otherwise
// from the repository); Refresh updates it; Root returns it without I/O.
// A Client is safe for concurrent use and starts no goroutines (see Live for
// a refresher). Clients sharing a cache directory, in one process or
// several, update it one at a time (a lock file beside it: see the package
// documentation).
type Client struct {
	mirror        string
	origin        *url.URL
	anchor        []byte
	anchorVersion int64
	cacheRoot     string // cacheDir given to Open, resolved by secureDir
	dir           string // cacheRoot/cacheSubdir
	cfg           config
	hc            *http.Client

	mu  sync.Mutex // one update at a time: go-tuf's updater and the cache files are not safe for concurrent use
	cur atomic.Pointer[Root]
}

// Open returns a Client for the TUF repository at mirror, trusting tufRoot
// (a TUF root.json obtained out of band, such as PublicGoodRoot) and keeping
// its metadata and targets under cacheDir (created 0700; the cache is
// trusted storage, so a cacheDir another user could write, or a path to it
// they could change, is ErrUnsafeCache: see the package documentation).
//
// Open is offline first: when the cache holds complete metadata that
// verifies and has not expired, and the target it lists, the root comes
// from there and the network is not used. Otherwise Open runs a full TUF
// update, bounded by ctx and WithFetchTimeout, and fails (ErrTUF) if it does
// not succeed: there is no root to fall back on.
func Open(ctx context.Context, mirror string, tufRoot []byte, cacheDir string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	origin, err := url.Parse(mirror)
	if err != nil {
		return nil, fmt.Errorf("%w: repository URL: %v", ErrConfig, err)
	}
	if err := checkOrigin(origin); err != nil {
		return nil, fmt.Errorf("%w: repository URL: %v", ErrConfig, err)
	}
	anchor, err := parseSelfSignedRoot(tufRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: TUF root: %v", ErrConfig, err)
	}
	if cacheDir == "" {
		return nil, fmt.Errorf("%w: no cache directory", ErrConfig)
	}
	// The cache is trusted storage: whoever writes it chooses the root.
	// Resolved once, here, so a symbolic link changed later changes
	// nothing; update checks the whole path again each time.
	cacheDir, err = secureDir(cacheDir)
	if err != nil {
		return nil, err
	}
	c := &Client{
		mirror:        mirror,
		origin:        origin,
		anchor:        append([]byte(nil), tufRoot...),
		anchorVersion: anchor.Signed.Version,
		cacheRoot:     cacheDir,
		dir:           filepath.Join(cacheDir, cacheSubdir(tufRoot, mirror)),
		cfg:           cfg,
		hc:            newHTTPClient(cfg.client, origin),
	}
	r, err := c.update(ctx, true)
	if err == nil {
		c.cfg.logger.DebugContext(ctx, "tuf: trusted root from cache", "repository", mirror, "revision", r.Revision, "expires", r.Expires)
		return c, nil
	}
	c.cfg.logger.DebugContext(ctx, "tuf: cache unusable, updating from the repository", "repository", mirror, "reason", err)
	cacheErr := err
	r, err = c.update(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("%w (and the cache was not usable: %w)", err, cacheErr)
	}
	c.cfg.logger.InfoContext(ctx, "tuf: trusted root updated", "repository", mirror, "revision", r.Revision, "version", r.Version, "expires", r.Expires)
	return c, nil
}

// Root returns the current root, without I/O. Past the root's Expires it
// returns ErrExpired instead: a refresh must succeed first.
func (c *Client) Root() (*Root, error) {
	r := c.cur.Load()
	if !time.Now().Before(r.Expires) {
		return nil, fmt.Errorf("%w: the TUF metadata behind trusted root %s expired at %s; refresh from %s", ErrExpired, r.Revision, r.Expires.UTC().Format(time.RFC3339), c.mirror)
	}
	return r, nil
}

// Refresh runs a full TUF update against the repository (bounded by ctx and
// WithFetchTimeout) and makes its result the current root. On failure the
// current root is kept, still only until its Expires, and the error says
// why (ErrExpired for a frozen repository, ErrRollback, ErrSignature,
// ErrHashMismatch, ErrFetch, ErrTrustedRoot).
func (c *Client) Refresh(ctx context.Context) (*Root, error) {
	return c.update(ctx, false)
}

// RefreshInterval is the interval configured with WithRefreshInterval.
func (c *Client) RefreshInterval() time.Duration { return c.cfg.interval }

// update runs go-tuf's client workflow once: from the cache only (offline)
// or against the repository.
func (c *Client) update(ctx context.Context, offline bool) (*Root, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	stage := "update from " + c.mirror
	if offline {
		stage = "load cache " + c.dir
	}
	// Every directory from / to c.dir (and its targets) passes OpenSSH's rule for ~/.ssh, each
	// time, and so does the cacheDir given to Open, itself writable by no
	// other user, sticky or not: one another user could write (a
	// group-writable cache root, a key directory chmodded since) would let
	// them plant metadata and a target, and with them the trusted root.
	if _, err := secureDir(c.cacheRoot); err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	cacheDir, err := secureDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	if _, err := secureDir(filepath.Join(cacheDir, "targets")); err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	// Another Client (another process, or another Client of this one) on
	// the same cache directory: each staged its own copy and promoted it
	// over the cache after comparing only with that copy, so one that
	// staged first and got slightly older (unexpired) metadata from its
	// mirror overwrote newer metadata the other had just saved, and a
	// restart opened from the older. The cache's lock is held from staging
	// to promoting; the wait for it is bounded by ctx and WithFetchTimeout,
	// and the update then by WithFetchTimeout again.
	lockCtx, lockCancel := context.WithTimeout(ctx, c.cfg.timeout)
	unlock, err := lockCache(lockCtx, cacheDir)
	lockCancel()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	// go-tuf writes each file it verifies into its metadata directory as it
	// goes, before this Client's own checks below (version floor, expiry
	// during the update, the target's shape). Run against c.dir, a refresh
	// the Client refused left the refused metadata cached, and the next
	// Open accepted it offline: a rollback refused in memory was taken
	// after a restart. An update from the repository runs in a staging
	// copy of the cache, promoted into c.dir (promote) only once the root
	// is accepted. Offline too go-tuf reads the staging copy, never c.dir:
	// the copy reads each cached file as x509ca.OpenStateFile opens state
	// (no symbolic link, no FIFO, a regular file this user owns that
	// others cannot write), where go-tuf would follow whatever it found.
	staging, err := stageCache(cacheDir)
	if err != nil {
		if errors.Is(err, ErrUnsafeCache) {
			return nil, fmt.Errorf("%s: %w", stage, err)
		}
		return nil, fmt.Errorf("%w: %s: staging the cache: %w", ErrTUF, stage, err)
	}
	defer os.RemoveAll(staging)
	dir := staging
	ucfg, err := tufconfig.New(c.mirror, c.trustedTUFRoot(ctx, dir))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	ucfg.LocalMetadataDir = dir
	ucfg.LocalTargetsDir = filepath.Join(dir, "targets")
	ucfg.Fetcher = &ctxFetcher{ctx: ctx, client: c.hc, origin: c.origin, offline: offline}
	ucfg.UnsafeLocalMode = offline
	up, err := updater.New(ucfg)
	if err != nil {
		return nil, classify(stage, err)
	}
	if err := up.Refresh(); err != nil {
		return nil, classify(stage, err)
	}
	ti, err := up.GetTargetInfo(c.cfg.target)
	if err != nil {
		return nil, classify(stage, err)
	}
	if ti.Length > maxTargetSize {
		return nil, fmt.Errorf("%w: target %s is %d bytes, more than %d", ErrTrustedRoot, c.cfg.target, ti.Length, maxTargetSize)
	}
	// FindCachedTarget checks the cached file's length and hashes against
	// the signed metadata and ignores a file that differs.
	_, data, err := up.FindCachedTarget(ti, "")
	if err != nil {
		return nil, classify(stage, err)
	}
	if data == nil {
		if offline {
			return nil, fmt.Errorf("%w: target %s is not in the cache", ErrOffline, c.cfg.target)
		}
		if _, data, err = up.DownloadTarget(ti, "", ""); err != nil {
			return nil, classify(stage+": target "+c.cfg.target, err)
		}
	}
	tm := up.GetTrustedMetadataSet()
	expires := tm.Root.Signed.Expires
	for _, e := range []time.Time{tm.Timestamp.Signed.Expires, tm.Snapshot.Signed.Expires} {
		if e.Before(expires) {
			expires = e
		}
	}
	// Every targets role loaded: the top-level one and each delegated role
	// GetTargetInfo walked to find the target, the role that lists it
	// included. With only the top-level targets counted, a target vouched
	// for by a delegated role (a repository may delegate per-tenant roots)
	// stayed usable past that role's expiry, for as long as the
	// top-level metadata lived. Roles walked but not listing the target
	// count too, conservatively: the next update walks them again, and
	// go-tuf refuses the walk while one is expired and not renewed.
	for _, t := range tm.Targets {
		if e := t.Signed.Expires; e.Before(expires) {
			expires = e
		}
	}
	// go-tuf detects a rollback against the cached metadata only; a cache
	// lost under a running Client (a cleaned temporary directory) made the
	// update start over from the anchor and accept any older, unexpired
	// metadata, or stop at a root version already superseded (the mirror
	// withholding the next one). No version may fall below the current
	// root's. A newer root may reset the other roles' versions: TUF's
	// recovery from a fast-forward attack rotates their keys and starts
	// them over, so they are compared under the same root version only.
	versions := [3]int64{tm.Timestamp.Signed.Version, tm.Snapshot.Signed.Version, tm.Targets[metadata.TARGETS].Signed.Version}
	if prev := c.cur.Load(); prev != nil {
		if tm.Root.Signed.Version < prev.Version {
			return nil, fmt.Errorf("%w: %s: root version %d, below the %d already trusted", ErrRollback, stage, tm.Root.Signed.Version, prev.Version)
		}
		for i, role := range []string{metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS} {
			if tm.Root.Signed.Version == prev.Version && versions[i] < prev.versions[i] {
				return nil, fmt.Errorf("%w: %s: %s version %d, below the %d already trusted", ErrRollback, stage, role, versions[i], prev.versions[i])
			}
		}
	}
	// go-tuf checked expiry when the update began; a slow update may cross it.
	if !time.Now().Before(expires) {
		return nil, fmt.Errorf("%w: %s: metadata expired at %s during the update", ErrExpired, stage, expires.UTC().Format(time.RFC3339))
	}
	sum := sha256.Sum256(data)
	r := &Root{Revision: "sha256:" + hex.EncodeToString(sum[:]), Expires: expires, Version: tm.Root.Signed.Version, versions: versions}
	if prev := c.cur.Load(); prev != nil && prev.Revision == r.Revision {
		r.Material = prev.Material
	} else {
		tr, err := verify.ParseTrustedRoot(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrTrustedRoot, c.cfg.target, err)
		}
		if r.Material, err = verify.NewTrust(tr); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrTrustedRoot, c.cfg.target, err)
		}
	}
	if !offline {
		// The lock keeps out every Client of this package; a writer that
		// ignores it (an earlier ztci, a platform without the lock) could
		// still have saved newer metadata since the cache was staged.
		// Never promote over newer: this update is refused and the next
		// one starts from the cache's.
		if err := checkNotOlderThanCache(cacheDir, tm.Root.Signed.Version, versions); err != nil {
			return nil, fmt.Errorf("tuf: %s: %w", stage, err)
		}
		if err := promote(dir, cacheDir); err != nil {
			return nil, fmt.Errorf("%w: %s: writing the cache: %w", ErrTUF, stage, err)
		}
	}
	c.cur.Store(r)
	return r, nil
}

// checkNotOlderThanCache reads the versions of the root, timestamp,
// snapshot and targets metadata now in the cache directory dir and refuses
// an update (root version rootV, the others' versions) below them: below
// the cached root, or below any other role's under the same root version
// (a newer root may reset them). A missing file, or one that does not
// parse as its role, sets no floor: go-tuf would not have used it either,
// and promote replaces it. A file x509ca.OpenStateFile refuses is
// ErrUnsafeCache.
func checkNotOlderThanCache(dir string, rootV int64, versions [3]int64) error {
	cachedRoot, err := cachedVersion(dir, metadata.ROOT)
	if err != nil {
		return err
	}
	if cachedRoot > rootV {
		return fmt.Errorf("%w: the cache holds root version %d, newer than the %d this update reached (another client saved it); the cache is kept", ErrRollback, cachedRoot, rootV)
	}
	if cachedRoot < rootV {
		return nil
	}
	for i, role := range []string{metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS} {
		v, err := cachedVersion(dir, role)
		if err != nil {
			return err
		}
		if v > versions[i] {
			return fmt.Errorf("%w: the cache holds %s version %d, newer than the %d this update reached (another client saved it); the cache is kept", ErrRollback, role, v, versions[i])
		}
	}
	return nil
}

// cachedVersion is the version of role's metadata in the cache directory
// dir, 0 when it is missing or does not parse as role's.
func cachedVersion(dir, role string) (int64, error) {
	b, err := readState(filepath.Join(dir, role+".json"), maxCachedFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, nil
	case errors.Is(err, ErrUnsafeCache):
		return 0, err
	case err != nil:
		return 0, fmt.Errorf("%w: reading the cache: %w", ErrTUF, err)
	}
	var m struct {
		Signed struct {
			Type    string `json:"_type"`
			Version int64  `json:"version"`
		} `json:"signed"`
	}
	if json.Unmarshal(b, &m) != nil || m.Signed.Type != role {
		return 0, nil
	}
	return m.Signed.Version, nil
}

// stageCache makes a private copy of the cache directory dir (resolved and
// checked by secureDir), next to it, for one update to work in.
func stageCache(dir string) (string, error) {
	staging, err := os.MkdirTemp(filepath.Dir(dir), ".staging-"+filepath.Base(dir)+"-")
	if err != nil {
		return "", err
	}
	if err := copyRegular(dir, staging, false); err != nil {
		os.RemoveAll(staging)
		return "", err
	}
	return staging, nil
}

// promote moves an accepted update's files from staging into the cache
// directory, each written to a temporary file, synced and renamed over the
// old one, so a reader (another process's Open) sees each file whole.
// Targets go first and root.json last: a crash part way leaves metadata
// that go-tuf either verifies or ignores, never metadata this Client
// refused.
func promote(staging, dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "targets"), 0o700); err != nil {
		return err
	}
	if err := copyRegular(filepath.Join(staging, "targets"), filepath.Join(dir, "targets"), true); err != nil {
		return err
	}
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	order := map[string]int{metadata.TARGETS + ".json": 1, metadata.SNAPSHOT + ".json": 2, metadata.TIMESTAMP + ".json": 3, metadata.ROOT + ".json": 4}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.SortStableFunc(names, func(a, b string) int { return order[a] - order[b] })
	for _, n := range names {
		if err := copyFile(filepath.Join(staging, n), filepath.Join(dir, n), true); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// copyRegular copies the regular files directly in src (and, when src is
// a cache directory, in its targets subdirectory) into dst; go-tuf's and
// this package's leftover temporary files are not copied. Any other entry
// (a symbolic link, a FIFO, a device) is ErrUnsafeCache, as is a file that
// x509ca.OpenStateFile refuses; other directories are ignored. A missing
// src is an empty one.
func copyRegular(src, dst string, durable bool) error {
	entries, err := os.ReadDir(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "tuf_tmp") || strings.HasPrefix(e.Name(), ".ztci_tmp"):
		case e.Type().IsRegular():
			if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()), durable); err != nil {
				return err
			}
		case e.IsDir() && e.Name() == "targets" && !durable:
			if err := os.Mkdir(filepath.Join(dst, "targets"), 0o700); err != nil {
				return err
			}
			if err := copyRegular(filepath.Join(src, "targets"), filepath.Join(dst, "targets"), false); err != nil {
				return err
			}
		case !e.IsDir():
			return fmt.Errorf("%w: %s is not a regular file (%v)", ErrUnsafeCache, filepath.Join(src, e.Name()), e.Type())
		}
	}
	if durable {
		return syncDir(dst)
	}
	return nil
}

// copyFile copies src to dst through a temporary file in dst's directory,
// renamed over dst; durable syncs it first.
func copyFile(src, dst string, durable bool) error {
	b, err := readState(src, maxCachedFile)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".ztci_tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// trustedTUFRoot returns the newest root.json this client trusts: the cached
// one when it verifies against itself and is not older than the anchor
// given to Open, else the anchor. go-tuf then walks forward from it. The
// cached one descends from the anchor because c.dir is this anchor's and
// URL's alone (cacheSubdir) and go-tuf writes only roots it verified.
func (c *Client) trustedTUFRoot(ctx context.Context, dir string) []byte {
	b, err := readState(filepath.Join(dir, "root.json"), maxRootSize)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			c.cfg.logger.WarnContext(ctx, "tuf: cached root.json unreadable, starting from the anchor", "error", err)
		}
		return c.anchor
	}
	m, err := parseSelfSignedRoot(b)
	if err != nil {
		c.cfg.logger.WarnContext(ctx, "tuf: cached root.json invalid, starting from the anchor", "error", err)
		return c.anchor
	}
	if m.Signed.Version < c.anchorVersion {
		return c.anchor
	}
	return b
}

// parseSelfSignedRoot parses a TUF root.json and checks that it is signed
// by the threshold of its own root keys.
func parseSelfSignedRoot(b []byte) (*metadata.Metadata[metadata.RootType], error) {
	m, err := metadata.Root().FromBytes(b)
	if err != nil {
		return nil, err
	}
	if err := m.VerifyDelegate(metadata.ROOT, m); err != nil {
		return nil, err
	}
	return m, nil
}

// secureDir resolves and checks dir with x509ca.SecureDir, creating what
// is missing 0700; a path that fails the check is ErrUnsafeCache.
func secureDir(dir string) (string, error) {
	resolved, err := x509ca.SecureDir(dir, true)
	if errors.Is(err, x509ca.ErrUnsafeKeyFile) {
		return "", fmt.Errorf("%w: %w", ErrUnsafeCache, err)
	}
	if err != nil {
		return "", fmt.Errorf("%w: cache directory: %w", ErrTUF, err)
	}
	return resolved, nil
}

// readState reads at most limit bytes of a cached file, opened with
// x509ca.OpenStateFile; a file it refuses is ErrUnsafeCache.
func readState(path string, limit int64) ([]byte, error) {
	f, err := x509ca.OpenStateFile(path)
	if errors.Is(err, x509ca.ErrUnsafeKeyFile) {
		return nil, fmt.Errorf("%w: %w", ErrUnsafeCache, err)
	}
	if err != nil {
		return nil, err
	}
	return readAllBounded(f, path, limit)
}

func readAllBounded(f *os.File, path string, limit int64) ([]byte, error) {
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

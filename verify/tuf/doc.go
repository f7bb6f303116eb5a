// Package tuf keeps a Sigstore trusted root current through TUF: it runs
// go-tuf v2's client workflow (the updater that sigstore-go's pkg/tuf wraps)
// against a repository such as the public-good one, parses the
// trusted_root.json target with verify.ParseTrustedRoot, and hands the
// result to the caller, who builds verifiers from it.
//
// # Main types
//
//   - Open(ctx, mirror, tufRoot, cacheDir, opts...) returns a Client for one
//     repository: mirror is its URL (PublicGoodMirror), tufRoot the root.json
//     trusted out of band (PublicGoodRoot, sigstore-go's embedded copy), and
//     cacheDir where metadata and targets are kept between runs, under
//     cacheDir/ztci-tuf/<key>/, one directory per (tufRoot, mirror) pair
//     (see the security contract). Client.Root returns the
//     current *Root without I/O; Client.Refresh updates it. The target is
//     trusted_root.json unless WithTarget names another (a GitHub
//     Enterprise Cloud tenant's: verify/github.TenantTrustedRootTarget).
//   - A Root carries the trust material (a *verify.Trust), its Revision (the
//     SHA-256 of the trusted root target), the TUF root version, and
//     Expires: the earliest expiry of the root, timestamp, snapshot and
//     targets metadata that vouched for it (every delegated targets role
//     walked to find the target included).
//   - NewLive(client, build) holds the value build makes from the current
//     Root — a *verify.Verifier, or a struct of several — and rebuilds it
//     only when the Revision changes. Live.Get is the verify hot path: an
//     atomic load and a clock read. Live.Start runs a refresher; Close stops
//     it and waits for it.
//
// # Example
//
//	client, err := tuf.Open(ctx, tuf.PublicGoodMirror, tuf.PublicGoodRoot(), cacheDir)
//	if err != nil { /* no trusted root: deny */ }
//	live, err := tuf.NewLive(client, func(r *tuf.Root) (*verify.Verifier, error) {
//		return verify.New(r.Material, expect)
//	})
//	live.Start(ctx)
//	defer live.Close()
//	...
//	v, err := live.Get() // per request
//	if err != nil { /* metadata expired: deny */ }
//	res, err := v.Verify(ctx, bundleJSON, artifact)
//
// # Refresh interval
//
// A started Live refreshes at once, then every DefaultRefreshInterval (24
// hours; WithRefreshInterval, at least a minute), and sooner when the
// current metadata would expire first: at half the time left, at least a
// minute apart. After a failure it retries from a minute, doubling up to
// the interval. One refresh (all its downloads) is bounded by the caller's
// context and WithFetchTimeout (a minute). Without Start nothing refreshes
// unless the caller calls Refresh.
//
// # Security contract
//
//   - TUF checks are go-tuf's: signature thresholds (a new root signed by
//     the old and the new root keys), versions never going back (timestamp,
//     snapshot, targets, and roots one version at a time), lengths and
//     hashes of every file against the signed metadata, expiry. They surface
//     as ErrSignature, ErrRollback, ErrHashMismatch and ErrExpired, all
//     inside ErrTUF; tests run each attack against a repository made with
//     go-tuf's metadata API. go-tuf compares versions with the cached
//     metadata; a Client also refuses (ErrRollback) an update whose root,
//     timestamp, snapshot or targets version is below its current root's
//     (the last three under the same root version only: a newer root may
//     reset them, as recovery from a fast-forward attack does), so a cache
//     lost while it runs does not reopen a rollback.
//   - Offline: Open uses the cache without a request when the cached
//     metadata verifies (against the newest root.json in the client's own
//     cache directory that is signed by its own keys and not older than
//     tufRoot) and none of it has expired, and the cached target matches
//     its signed hash; otherwise it updates from the repository and fails
//     if that fails. A cached target that was altered is ignored and
//     downloaded again.
//   - Expiry: the TUF specification allows no grace period, and neither
//     does this package. A Root is usable until its Expires and not an
//     instant longer: from then Client.Root and Live.Get return ErrExpired
//     until a refresh succeeds, whether the cache is old, the repository is
//     unreachable or it keeps serving a timestamp that has expired (a freeze
//     attack). sigstore-go's root.LiveTrustedRoot, by contrast, keeps its
//     last root after failed refreshes with no limit.
//   - Refresh failure: the current Root (and a Live's value) is kept until
//     its Expires; the error is returned (Refresh) or logged (the
//     refresher). A repository can never replace a root with one that fails
//     a check: every result is all or nothing.
//   - The hot path makes no request: Get and Root read memory only; a
//     benchmark in this package fails if the repository sees a request
//     while verifying. The Root's Material, and a Live's value, stay the
//     same object while the Revision does, so verify's memos (chains,
//     timestamps, results) survive refreshes and are dropped exactly when
//     the trusted root changes.
//   - Network: https only, or http on a loopback address (tests, a local
//     mirror). Redirects are followed only within the repository's origin
//     (same scheme, host and port: never to another host, never from https
//     to http), at most 5. Every read is bounded: metadata by go-tuf's
//     limits (root 512 kB, timestamp 16 kB, snapshot 2 MB, targets 5 MB, or
//     the signed length) and never more than MaxDownloadSize (32 MiB), as a
//     signed length is the online keys' word; the trusted root target by
//     its signed length and at most 16 MiB. No credential is sent.
//   - Errors repeat what the repository sent before it was verified (a
//     metadata "_type", a redirect's URL) only quoted and clipped: they
//     reach logs.
//   - The cache directory is trusted storage, as TUF assumes of a client's
//     own metadata: whoever can write it can choose the root. So it must
//     pass OpenSSH's rule for ~/.ssh (internal/x509ca.SecureDir), checked
//     at Open and again at every refresh, else ErrUnsafeCache: every
//     directory from / to cacheDir/ztci-tuf/<key> owned by root or this
//     process's user, those above cacheDir writable by group or others
//     only if sticky (/tmp), cacheDir and those below it not at all;
//     missing ones are created 0700. Symbolic links on the way are
//     resolved (and checked) once, at Open. Every cached file is read as
//     a regular file this user owns that group and others cannot write,
//     without following a symbolic link or blocking on a FIFO; any other
//     entry is ErrUnsafeCache too. go-tuf never reads the cache itself,
//     offline or not: it works in a staging copy made by those reads.
//     A refresh runs in a private staging copy of the cache
//     (cacheDir/ztci-tuf/.staging-*, removed after) and its files are
//     copied into the cache, each synced and renamed into place, only
//     once the Client accepts the result: metadata the Client refuses (a
//     version below the one it trusts, a target that is not a trusted
//     root) never reaches the cache, so a restart cannot open from it.
//   - Clients sharing a cache directory (several processes, or several
//     Clients in one) take turns: each update (Open's too, offline or
//     not) holds an advisory lock on cacheDir/ztci-tuf/<key>.lock (flock
//     on Unix, LockFileEx on Windows; created 0600 and opened as every
//     cached file is, else ErrUnsafeCache) from staging the cache to
//     promoting into it. Without it a Client that staged the cache, then
//     got slightly older but unexpired metadata from its mirror, promoted
//     it over newer metadata another Client had saved meanwhile, and a
//     restart opened from the older. The wait is bounded by the caller's
//     context and WithFetchTimeout (ErrFetch when it ends); the update
//     that follows has its own WithFetchTimeout. Under the lock, before
//     promoting, the versions now in the cache are read again and an
//     update below them (root; timestamp, snapshot or targets under the
//     same root version) is refused with ErrRollback, the cache and the
//     current root kept: this also holds against a writer that ignores
//     the lock (an earlier ztci). On platforms with neither lock
//     (neither Unix nor Windows) only that check remains: give each
//     process its own cacheDir there.
//   - One cache root may serve many clients: each reads and writes only
//     cacheDir/ztci-tuf/<key>/, where key is the hex SHA-256 of tufRoot's
//     exact bytes and of mirror exactly as given, so a client only ever
//     starts from metadata that go-tuf verified from its own anchor at its
//     own URL, and never from another repository's (a URL that differs
//     only in case, scheme, or '/' versus '-' or ':', as sigstore-go's
//     URLToPath folds them, or the same URL under another anchor). A new
//     anchor or a differently spelled URL (a trailing slash) starts a new
//     directory and fetches again; old ones are left for the caller to
//     remove. Caches of earlier ztci versions (cacheDir/<host-path>/,
//     sigstore-go's layout, which sigstore-go and cosign clients also
//     write) are never read: the first Open after an upgrade fetches. Do
//     not point cacheDir at a directory that another tool writes.
//   - A Client makes no goroutine; a Live makes one between Start and
//     Close. A context is used only during the call that received it,
//     except Start's, which bounds the refresher's life.
package tuf

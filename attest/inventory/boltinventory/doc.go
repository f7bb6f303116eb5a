// Package boltinventory is an [inventory.Store] persisted in one local file
// with bbolt (go.etcd.io/bbolt), for a gate that runs as a single process
// and must keep its index across restarts.
//
//	s, err := boltinventory.Open("/var/lib/gate/inventory.db")
//	defer s.Close()
//	g, err := gate.New(tokens, verifiers, eval, sink, gate.WithInventory(s))
//
// # Layout
//
// Ten buckets: admissions by decision id (binary, with their builders and
// signers),
// their package lists (binary, with each package's spelling), their
// policy inputs (JSON), six indexes whose keys are NUL-separated — by
// package ([inventory.PURL.Key] NUL decision NUL version, whose value is
// the package's spelling, [inventory.Entry.Spelled]), by digest, by
// builder (every builder of an admission), by signer SAN, by key id and
// by policy revision, which carry no value — and the file's format
// version. A package query seeks to the package's prefix and reads only
// its keys; the version criteria ([inventory.Matcher]) are applied to
// each distinct version once, before any admission is read. A query by a
// builder id without "@" reads two prefixes of the builder index, the id's
// and the id's followed by "@" (the builder at every ref,
// [inventory.BuilderSelects]), and lists an admission two of whose
// builders match once.
//
// # Format versions
//
// Open upgrades a file of an earlier format before it returns, in one
// bbolt transaction: a crash or an error part-way leaves the file as it
// was (and Open fails), and the next Open starts over. Running it again
// on an upgraded file changes nothing.
//
//   - 1: every file written before the version was recorded. Files of
//     before signers and policy inputs open as they are (their admissions
//     list none); the revision index is built if absent.
//   - 2: pypi packages keyed by their PEP 503 name. Keys of format 1
//     ("zope.interface", lower case, '_' already '-') are re-derived with
//     [inventory.CanonicalKey], in the by-package index and in the package
//     lists of the admissions that hold them (an admission that listed
//     both spellings keeps one). Without it, a query for
//     pkg:pypi/zope-interface would miss every admission recorded before
//     the upgrade whose SBOM wrote zope.interface.
//   - 3: nuget packages keyed by their id in lower case (NuGet compares
//     ids case-insensitively), re-derived the same way. Without it, a
//     query for pkg:nuget/Newtonsoft.Json would miss every admission
//     whose SBOM wrote newtonsoft.json, and the other way round. Spellings
//     were added later within format 3, with no migration: they change no
//     key, and package lists and index values of an older build (which
//     has none, and ignores them) read as "spelling unknown", for which
//     drift lifts no finding it cannot prove a VEX statement names.
//     Source packages ([inventory.Package.Source]) came later still
//     within format 3, with no migration either: they are package entries
//     like any other, under the source's key, whose spelling value holds
//     what they were derived from ([inventory.Entry.Spelled]); a build of
//     before them finds them by the source's key and reads that value as
//     a spelling that names no package, so its drift lifts no finding by
//     it. Admissions recorded before are not re-derived: the file kept no
//     qualifiers, so their source packages are not indexed. Every builder
//     of an admission ([inventory.Admission.Builders]) came later still
//     within format 3, with no migration: the first is where the single
//     builder always was, the others follow the signers at the end of the
//     admission and in the builder index, keys like any other. A build of
//     before reads the first and ignores the rest (its query by a further
//     builder misses the admission, as it did); an admission it records
//     has one builder at most, which this build reads as such.
//
// A file of a newer format (written by a newer version) is refused with
// an [*inventory.FormatError] rather than written under older rules.
//
// Migrating, rather than refusing an old file and asking for a re-index,
// because the index cannot be rebuilt: it is the only record of which
// SBOM packages each admission declared (the gate keeps no SBOMs), and
// the old key is all the new one needs (PEP 503 or lower case applied to
// the old normalized name gives the same result as applied to the SBOM's),
// so the migration loses nothing. Its cost is one pass over the pypi and
// nuget keys of the by-package index and the package lists of the admissions they
// name, in one transaction held in memory until it commits.
//
// Opening an upgraded file with a build older than format 2 is not
// detected (those builds do not read the version): such a build would
// record keys that this one's queries miss. Builds of format 2 and later
// refuse it. Do not downgrade an index file.
//
// # Security contract
//
//   - Record commits an admission entirely or not at all, fsynced before it
//     returns (bbolt commits; concurrent Records share one commit).
//   - One process holds the file (an exclusive lock); another Open waits
//     [WithLockTimeout] and fails. Any error is wrapped in
//     [inventory.ErrUnavailable] and means "not recorded / no answer".
//   - The file is created 0600. It holds identities and package lists, not
//     secrets; whoever can write it can hide or invent admissions, so keep
//     it with the gate's other state, in a directory only the gate's user
//     may write. Open refuses ([ErrConfig]) an existing file that group or
//     others may write (mode bits 0o022; not checked on Windows).
package boltinventory

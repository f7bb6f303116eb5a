package inventory

import (
	"strings"
)

// Source packages.
//
// Distributions publish advisories by source package (Debian's security
// tracker and DSAs, Ubuntu's USNs, Alpine's secdb by origin, Red Hat's
// errata by source RPM, Arch by pkgbase), while the SBOM of an image lists
// the binary packages installed from it: libssl3 and libcrypto3 of the
// source openssl. syft writes the source in an "upstream" qualifier:
//
//	pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12
//	pkg:deb/debian/libc6@2.36-9+b1?upstream=glibc%402.36-9   (binNMU: source name@version)
//	pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1
//	pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm
//	pkg:alpm/arch/libxml2@2.12.6-1?arch=x86_64&upstream=libxml2
//
// and Trivy in component properties of its CycloneDX BOMs
// (aquasecurity:trivy:SrcName, SrcVersion, SrcRelease, SrcEpoch), which
// [CycloneDXPackages] turns into the same qualifier. [Normalize] indexes
// such a package also under its source package, so that the advisory's
// package URL finds the image ([Package.Source]).

// sourceTypes are the package types whose "upstream" qualifier names a
// source package: those syft writes it for (dpkg, apk, rpm and alpm
// databases).
var sourceTypes = map[string]bool{"deb": true, "apk": true, "rpm": true, "alpm": true}

// derivedMark begins the spelling ([Entry.Spelled]) of a source package
// the index derived: "@", then the spelled key of the package it was
// derived from, "@" and that package's version, escaped (as in a package
// URL). A spelling that is only the mark stands for several packages. No
// spelled key holds an '@' ([PURL.Key] escapes it), so the mark cannot be
// a spelling; and "pkg:" followed by it does not parse as a package URL
// (its type would begin with '@'), so a build that predates source
// packages, reading it as a spelling, names no package by it and lifts no
// finding ([Package.Spelled]).
const derivedMark = "@"

func isDerived(spelled string) bool { return strings.HasPrefix(spelled, derivedMark) }

// sourceOf returns the source package of binary package u (parsed, at
// version v: its own or the SBOM's) that its "upstream" qualifier names,
// and whether the index keys it apart from u: a source of another name,
// or of the same name at another version (a binNMU, "+b1").
//
// The qualifier's value is the source name, or name@version as syft writes
// it when the versions differ; for rpm, the source RPM's file name
// "name-version-release.src.rpm", whose version-release is taken with the
// epoch of u (an SRPM's file name carries no epoch, and its binary
// packages share the spec's; Trivy reads it so too). Without a version the
// source's is v: a source package's binaries carry its version.
//
// A value that names no source package — empty, a name that is not ASCII
// letters, digits, '.', '_', '+' and '-' starting with a letter or digit
// (rpm databases hold "(none)" for packages built without one), an empty
// version after '@', a source RPM file name that is not
// name-version-release, a version longer than [MaxVersionLen] — is
// ignored: u is indexed, and no source package for it. This is a choice
// of availability over completeness, for this hint only: a refusal would
// deny every deployment of an image whose SBOM tool writes an odd value
// (the gate denies what it cannot index), while ignoring it loses nothing
// the index had before source packages were indexed, and nothing a
// signer could not drop by leaving the qualifier out. A package URL that
// is malformed as such (a control character, a bad escape, also in this
// qualifier) still refuses the whole SBOM. A version that does not parse
// in the type's ordering is no reason to ignore the hint: it is indexed
// and a range or exact-version query lists it as [Package.Unordered], as
// for any package.
func sourceOf(u PURL, v string, q qualifiers) (PURL, bool) {
	if !q.hasUpstream || !sourceTypes[u.Type] {
		return PURL{}, false
	}
	name, version, nvr, ok := parseUpstream(u.Type, q.upstream)
	if !ok {
		return PURL{}, false
	}
	switch {
	case version == "":
		version = v
	case nvr:
		if e, _, found := strings.Cut(v, ":"); found && allDigits(e) {
			version = e + ":" + version
		}
	}
	if len(version) > MaxVersionLen {
		return PURL{}, false
	}
	src := PURL{Type: u.Type, Namespace: u.Namespace, Version: version}
	_, src.Name = normalize(u.Type, "", name)
	if src.Key() == u.Key() && version == v || len(src.String()) > MaxPURLLen {
		return PURL{}, false
	}
	return src, true
}

// parseUpstream reads an "upstream" qualifier's value of package type typ
// (see sourceOf): the source name and version ("" when it has none), nvr
// set when it was a source RPM's version-release; ok is false when it
// names no source package.
func parseUpstream(typ, s string) (name, version string, nvr, ok bool) {
	if typ == "rpm" {
		base, found := strings.CutSuffix(s, ".src.rpm")
		if !found {
			base, found = strings.CutSuffix(s, ".nosrc.rpm")
		}
		if found {
			// Version and release hold no '-'; the name may.
			r := strings.LastIndexByte(base, '-')
			if r < 0 {
				return "", "", false, false
			}
			v := strings.LastIndexByte(base[:r], '-')
			if v < 0 || v+1 == r || r+1 == len(base) {
				return "", "", false, false
			}
			name = base[:v]
			return name, base[v+1:], true, sourceName(name)
		}
	}
	name, version, hasVersion := strings.Cut(s, "@")
	if hasVersion && version == "" {
		return "", "", false, false
	}
	return name, version, false, sourceName(name)
}

// sourceName reports whether s can be a source package's name: ASCII
// letters, digits, '.', '_', '+' and '-', starting with a letter or a
// digit. That is what Debian, Alpine, RPM and Arch allow (and more than
// some of them do), and it needs no escaping in a package URL, so the
// source's key is the one an advisory's package URL parses to.
func sourceName(s string) bool {
	if s == "" || !isLetter(s[0]) && !isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && c != '.' && c != '_' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

// trivySource returns the "upstream" qualifier value (name@version) that
// Trivy's source properties of a CycloneDX component name, or false when
// they name none: SrcName, then SrcVersion with SrcEpoch before it
// ("epoch:") and SrcRelease after it ("-release") where given — Trivy
// splits dpkg and rpm versions so, and writes Alpine's whole in
// SrcVersion. A property given twice, a release or an epoch without a
// version, or an epoch that is not a number names none (ignored, as a
// malformed upstream qualifier is, see sourceOf).
func trivySource(props []cdxProperty) (string, bool) {
	var name, ver, rel, epoch string
	seen := map[string]bool{}
	for _, p := range props {
		var f *string
		switch p.Name {
		case "aquasecurity:trivy:SrcName":
			f = &name
		case "aquasecurity:trivy:SrcVersion":
			f = &ver
		case "aquasecurity:trivy:SrcRelease":
			f = &rel
		case "aquasecurity:trivy:SrcEpoch":
			f = &epoch
		default:
			continue
		}
		if seen[p.Name] {
			return "", false
		}
		seen[p.Name] = true
		*f = p.Value
	}
	switch {
	case name == "":
		return "", false
	case ver == "":
		if rel != "" || epoch != "" {
			return "", false
		}
		return name, true
	case epoch != "" && !allDigits(epoch):
		return "", false
	}
	if epoch != "" && strings.TrimLeft(epoch, "0") != "" {
		ver = epoch + ":" + ver
	}
	if rel != "" {
		ver += "-" + rel
	}
	return name + "@" + ver, true
}

// withUpstream returns package URL s with an "upstream" qualifier of value
// upstream added (before the subpath).
func withUpstream(s, upstream string) string {
	rest, sub, hasSub := strings.Cut(s, "#")
	sep := "?"
	if strings.Contains(rest, "?") {
		sep = "&"
		if strings.HasSuffix(rest, "?") {
			sep = ""
		}
	}
	rest += sep + "upstream=" + escape(upstream)
	if hasSub {
		rest += "#" + sub
	}
	return rest
}

# METADATA
# title: ztci library helpers
package ztci.lib

# config returns data.ztci.config[section][key], or def when unset.
config(section, key, def) := object.get(data.ztci.config, [section, key], def)

# pinned_digest: a reference pinned by an OCI digest.
pinned_digest(ref) if regex.match(`@sha256:[a-f0-9]{64}$`, ref)

# pinned_commit: an action reference pinned to a full commit SHA.
pinned_commit(ref) if regex.match(`@[a-f0-9]{40}$`, ref)

# image_name strips a "docker://" scheme and the digest or tag.
image_name(ref) := name if {
	r := trim_prefix(ref, "docker://")
	no_digest := split(r, "@")[0]
	parts := split(no_digest, "/")
	last := parts[count(parts) - 1]
	base := array.slice(parts, 0, count(parts) - 1)
	name := concat("/", array.concat(base, [split(last, ":")[0]]))
}

# allowed_prefix: ref starts with one of the allow-listed prefixes.
allowed_prefix(ref, prefixes) if {
	some p in prefixes
	startswith(ref, p)
}

# signer_allowed: the signer's SAN and issuer match an allowed entry exactly.
signer_allowed(signer, allowed) if {
	some a in allowed
	signer.san == a.san
	signer.issuer == a.issuer
}

# show renders a field for a message even when it is missing: a message
# must never make its violation undefined (and so silently allowed).
show(x, path) := object.get(x, path, "<missing>")

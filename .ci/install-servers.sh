#!/usr/bin/env bash
# Builds the real servers the integration tests start on 127.0.0.1, from the
# Go module proxy, into a cache directory keyed by version, and installs the
# Debian packages the tests need. Prints `export NAME=PATH` lines for the
# binaries it made available; the caller evals them.
#
# Every download and build has a timeout: the module proxy has been seen to
# hang for minutes before a retry goes through.
set -euo pipefail

cache=${ZTCI_ITEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ztci-itest/bin}
mkdir -p "$cache"

log() { echo "install-servers: $*" >&2; }

# build_go MODULE VERSION PKG OUT [TOOLCHAIN]: build PKG (relative to MODULE)
# at VERSION, with Go TOOLCHAIN (default: the local one) when the module needs
# a newer Go. `go install M@v` fails here when the proxy refuses M/@v/list, so
# download the module and build inside its directory instead (REALPARTS.md).
build_go() {
  local module=$1 version=$2 pkg=$3 out=$4 toolchain=${5:-${GOTOOLCHAIN:-local}}
  local bin="$cache/$out-$version"
  if [[ -x $bin ]]; then echo "$bin"; return; fi
  local dir try start
  for try in 1 2 3; do
    if dir=$(GOTOOLCHAIN=$toolchain GOFLAGS=-mod=mod timeout 600 go mod download -json "$module@$version" |
      sed -n 's/.*"Dir": "\(.*\)".*/\1/p') && [[ -n $dir ]]; then break; fi
    log "download $module@$version failed (try $try)"; dir=
  done
  [[ -n $dir ]] || { log "cannot download $module@$version"; return 1; }
  log "building $out $version (cold builds take minutes)"
  start=$SECONDS
  if ! (cd "$dir" && GOTOOLCHAIN=$toolchain GOFLAGS=-mod=mod timeout 1800 go build -trimpath -o "$bin.tmp" "$pkg"); then
    log "building $out $version failed or timed out after $((SECONDS - start)) s (rerun: the build cache keeps what was compiled)"
    return 1
  fi
  mv "$bin.tmp" "$bin"
  log "built $out $version in $((SECONDS - start)) s"
  echo "$bin"
}

apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  log "apt-get install ${missing[*]}"
  timeout 600 apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${missing[@]}" >&2
}

apt_install docker-registry postgresql openssl redis-server

echo "export ZTCI_FULCIO=$(build_go github.com/sigstore/fulcio v1.8.8 . fulcio)"
echo "export ZTCI_REKOR=$(build_go github.com/sigstore/rekor-tiles/v2 v2.3.0 ./cmd/rekor-server/posix rekor-posix)"
echo "export ZTCI_TSA=$(build_go github.com/sigstore/timestamp-authority/v2 v2.1.3 ./cmd/timestamp-server timestamp-server)"
echo "export ZTCI_DOCKER_REGISTRY=$(command -v docker-registry)"
# Debian's nats-server (2.9) has no per-key TTL, which the replay cache's KV
# bucket needs (2.11 or later), so NATS comes from the module proxy too.
echo "export ZTCI_NATS_SERVER=$(build_go github.com/nats-io/nats-server/v2 v2.15.3 . nats-server)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
echo "export ZTCI_POSTGRES_BIN=$pgbin"
# Rekor v1 (what the public-good Rekor and cosign's legacy formats speak) on
# Trillian with PostgreSQL storage, and Redis as Rekor's search index (the
# /api/v1/index/retrieve lookup of verify/rekorv1). rekor-server v1.5.5
# declares go 1.27: its toolchain comes from the module proxy.
echo "export ZTCI_TRILLIAN_LOG_SERVER=$(build_go github.com/google/trillian v1.8.0 ./cmd/trillian_log_server trillian_log_server)"
echo "export ZTCI_TRILLIAN_LOG_SIGNER=$(build_go github.com/google/trillian v1.8.0 ./cmd/trillian_log_signer trillian_log_signer)"
echo "export ZTCI_REKOR_V1_SERVER=$(build_go github.com/sigstore/rekor v1.5.5 ./cmd/rekor-server rekor-server go1.27.0)"
echo "export ZTCI_REDIS_SERVER=$(command -v redis-server)"
# Trillian's PostgreSQL schema, which itest.StartRekorV1 loads into a fresh
# database.
schema=$cache/trillian-postgresql-storage-v1.8.0.sql
if [[ ! -s $schema ]]; then
  tdir=$(GOFLAGS=-mod=mod timeout 600 go mod download -json github.com/google/trillian@v1.8.0 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  cp "$tdir/storage/postgresql/schema/storage.sql" "$schema.tmp" && mv "$schema.tmp" "$schema"
fi
echo "export ZTCI_TRILLIAN_PG_SCHEMA=$schema"
# OpenTelemetry Collector (OTLP receiver, batch processor, debug and file
# exporters) for itest.StartOtelCol, made by the collector builder from
# internal/itest/otelcol-builder.yaml; the cache key includes the manifest's
# hash, so editing it rebuilds. ~16 min cold on a busy 2-core machine.
otelcol_manifest=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/internal/itest/otelcol-builder.yaml
otelcol=$cache/otelcol-ztci-v0.161.0-$(sha256sum "$otelcol_manifest" | cut -c1-12)
if [[ ! -x $otelcol ]]; then
  ocb=$(build_go go.opentelemetry.io/collector/cmd/builder v0.161.0 . otelcol-builder)
  odir=$(mktemp -d)
  log "building otelcol-ztci v0.161.0 (cold builds take minutes)"
  (cd "$odir" && GOFLAGS=-mod=mod timeout 2400 "$ocb" --config="$otelcol_manifest" >&2) &&
    mv "$odir/build/otelcol-ztci" "$otelcol" || log "otelcol-ztci build failed"
  rm -rf "$odir"
fi
echo "export ZTCI_OTELCOL=$otelcol"
# SPIRE v1.15.3 server and agent (itest.StartSPIRE), last: ~10 min cold,
# nothing once cached.
bash "$(dirname "$0")/spire" --exports

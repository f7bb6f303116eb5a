#!/usr/bin/env bash
# Makes the real-cosign test vectors of verify/image
# (verify/image/testdata/cosign-legacy/cosign-v3.1.3-keyed-*): cosign
# v3.1.3 signs and attests an image in its legacy format
# (--new-bundle-format=false) with a fresh key pair, no Rekor
# (--tlog-upload=false: no Rekor v1 server here) and an RFC 3161 timestamp
# from a local timestamp-authority server, against go-containerregistry's
# in-process registry. Not run by CI: building cosign takes about 8 to 20
# minutes on 2 cores. Commit what it writes.
#
#   bash .ci/make-cosign-legacy-vectors.sh
#   bash .ci/make-cosign-legacy-vectors.sh blob    # verify/blob's vectors only
#   ZTCI_COSIGN=/path/to/cosign ZTCI_TSA=/path/to/timestamp-server bash .ci/make-cosign-legacy-vectors.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
cache=${ZTCI_ITEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ztci-itest/bin}
out=${ZTCI_VECTORS_OUT:-verify/image/testdata/cosign-legacy}/cosign-v3.1.3-keyed-tsa
work=$(mktemp -d)
tsa_pid=
cleanup() { [[ -n $tsa_pid ]] && kill "$tsa_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cosign=${ZTCI_COSIGN:-$cache/cosign-v3.1.3}
if [[ ! -x $cosign ]]; then
  mkdir -p "$cache"
  GOBIN=$work/bin timeout 2400 go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3
  mv "$work/bin/cosign" "$cosign"
fi
# `bash .ci/make-cosign-legacy-vectors.sh blob` makes only the detached
# blob-signature vectors of verify/blob (verify/blob/testdata/cosign-v3.1.3-*,
# see its README): cosign sign-blob keyless against a real Fulcio, an OIDC
# issuer made in the test and a real Rekor v1 on Trillian + PostgreSQL
# (itest.StartRekorV1), driven by verify/blob's TestMakeCosignVectors.
if [[ ${1:-} == blob ]]; then
  eval "$(bash .ci/install-servers.sh)"
  ZTCI_COSIGN=$cosign ZTCI_MAKE_BLOB_VECTORS=$PWD/verify/blob/testdata \
    go test ./verify/blob/ -run '^TestMakeCosignVectors$' -count=1 -v
  "$cosign" version 2>/dev/null | grep -E 'GitVersion' >verify/blob/testdata/cosign-version
  exit 0
fi

tsa=${ZTCI_TSA:-}
if [[ -z $tsa ]]; then
  eval "$(bash .ci/install-servers.sh)"
  tsa=$ZTCI_TSA
fi

# The TSA (its metrics port is fixed at :2112: nothing else may hold it).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$tsa" serve --host 127.0.0.1 --port "$port" --timestamp-signer memory --disable-ntp-monitoring >"$work/tsa.log" 2>&1 &
tsa_pid=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/api/v1/timestamp/certchain" >/dev/null 2>&1 && break
  sleep 0.2
done

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# vector DIR TSA_URL [REKOR_URL [GENPKEY_ARGS]]: a fresh key pair (cosign's
# ECDSA P-256, or one openssl genpkey makes, imported), then cosign signs and
# attests.
vector() {
  local dir=$1 tsaurl=$2 rekor=${3:-} genpkey=${4:-} key
  key=$(mktemp -d -p "$work")
  if [[ -n $genpkey ]]; then
    # shellcheck disable=SC2086 # GENPKEY_ARGS is a list of options
    openssl genpkey $genpkey -out "$key/imported.pem" 2>/dev/null
    (cd "$key" && COSIGN_PASSWORD= "$cosign" import-key-pair --key imported.pem --output-key-prefix cosign -y >/dev/null)
  else
    (cd "$key" && COSIGN_PASSWORD= "$cosign" generate-key-pair >/dev/null)
  fi
  mkdir -p "$dir"
  cp "$key/cosign.pub" "$dir/cosign.pub"
  go run ./verify/image/testdata/cosign-legacy/gen -cosign "$cosign" -tsa "$tsaurl" \
    -key "$key/cosign.key" -rekor "$rekor" -out "$dir"
  "$cosign" version 2>/dev/null | grep -E 'GitVersion' >"$dir/cosign-version"
  echo "wrote $dir" >&2
}

vector "$out" "http://127.0.0.1:$port"
# Imported keys: cosign generate-key-pair makes ECDSA only.
vector "${out%-keyed-tsa}-ed25519-tsa" "http://127.0.0.1:$port" "" "-algorithm ed25519"
vector "${out%-keyed-tsa}-rsa2048-tsa" "http://127.0.0.1:$port" "" "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"

# With ZTCI_REKOR_V1=DIR (holding trillian_log_server, trillian_log_signer
# v1.8.0 and rekor-server v1.5.5, see shared/REALPARTS.md), the same against a
# real Rekor v1 on Trillian and a private PostgreSQL: the layers then carry
# Rekor's SET. Rekor's metrics port is :2112 like the TSA's, so the TSA is
# stopped first and the Rekor vector has no timestamp.
if [[ -n ${ZTCI_REKOR_V1:-} ]]; then
  kill "$tsa_pid"; wait "$tsa_pid" 2>/dev/null || true; tsa_pid=
  chmod 755 "$work"; pg=$work/pg; mkdir -p "$pg"; chown postgres "$pg"
  pgport=$(freeport)
  su postgres -c "initdb -A trust -D $pg/data" >/dev/null
  su postgres -c "postgres -D $pg/data -c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$pg" >"$work/pg.log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 50); do psql -h 127.0.0.1 -p "$pgport" -U postgres -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
  psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'create database trillian'
  schema=$(go env GOMODCACHE)/github.com/google/trillian@v1.8.0/storage/postgresql/schema/storage.sql
  [[ -f $schema ]] || GOFLAGS=-mod=mod go mod download github.com/google/trillian@v1.8.0
  psql -q -h 127.0.0.1 -p "$pgport" -U postgres -d trillian -f "$schema" >/dev/null
  uri="postgresql:///trillian?host=127.0.0.1&port=$pgport&user=postgres&sslmode=disable"
  p1=$(freeport) p2=$(freeport) p3=$(freeport) p4=$(freeport) p5=$(freeport)
  "$ZTCI_REKOR_V1/trillian_log_server" --storage_system=postgresql --quota_system=postgresql --postgresql_uri="$uri" \
    --rpc_endpoint=127.0.0.1:$p1 --http_endpoint=127.0.0.1:$p2 >"$work/tls.log" 2>&1 &
  tl_pid=$!
  "$ZTCI_REKOR_V1/trillian_log_signer" --storage_system=postgresql --quota_system=postgresql --postgresql_uri="$uri" --force_master \
    --rpc_endpoint=127.0.0.1:$p3 --http_endpoint=127.0.0.1:$p4 --sequencer_interval=100ms --batch_size=100 >"$work/tsig.log" 2>&1 &
  ts_pid=$!
  sleep 1
  "$ZTCI_REKOR_V1/rekor-server" serve --trillian_log_server.address=127.0.0.1 --trillian_log_server.port=$p1 \
    --rekor_server.address=127.0.0.1 --port=$p5 --enable_retrieve_api=false --rekor_server.signer=memory >"$work/rekor.log" 2>&1 &
  rk_pid=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$p5/api/v1/log/publicKey" >/dev/null 2>&1 && break; sleep 0.2; done
  vector "${out%-keyed-tsa}-keyed-rekor-v1" "" "http://127.0.0.1:$p5"
  kill "$rk_pid" "$ts_pid" "$tl_pid" "$pg_pid" 2>/dev/null || true
fi

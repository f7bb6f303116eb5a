#!/usr/bin/env bash
# Makes the real-cosign test vectors of verify/image
# (verify/image/testdata/cosign-legacy/cosign-v3.1.3-keyed-tsa): cosign
# v3.1.3 signs and attests an image in its legacy format
# (--new-bundle-format=false) with a fresh key pair, no Rekor
# (--tlog-upload=false: no Rekor v1 server here) and an RFC 3161 timestamp
# from a local timestamp-authority server, against go-containerregistry's
# in-process registry. Not run by CI: building cosign takes about 8 to 20
# minutes on 2 cores. Commit what it writes.
#
#   bash .ci/make-cosign-legacy-vectors.sh
#   ZTCI_COSIGN=/path/to/cosign ZTCI_TSA=/path/to/timestamp-server bash .ci/make-cosign-legacy-vectors.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
cache=${ZTCI_ITEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ztci-itest/bin}
out=verify/image/testdata/cosign-legacy/cosign-v3.1.3-keyed-tsa
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

(cd "$work" && COSIGN_PASSWORD= "$cosign" generate-key-pair >/dev/null)
mkdir -p "$out"
cp "$work/cosign.pub" "$out/cosign.pub"
go run ./verify/image/testdata/cosign-legacy/gen -cosign "$cosign" -tsa "http://127.0.0.1:$port" -key "$work/cosign.key" -out "$out"
"$cosign" version 2>/dev/null | grep -E 'GitVersion' >"$out/cosign-version"
echo "wrote $out" >&2

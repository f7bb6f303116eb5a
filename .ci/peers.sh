#!/usr/bin/env bash
# Times the command-line peers the README compares ztci with, on the same
# inputs the Go benchmarks use. Not part of CI: building cosign takes about
# 11 minutes on 2 cores. Binaries are cached like the integration servers.
#
#   bash .ci/peers.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
runs=${1:-20}
cache=${ZTCI_ITEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ztci-itest/bin}
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { # MODULE VERSION PKG OUT
  local bin="$cache/$4-$2"
  if [[ ! -x $bin ]]; then
    local dir
    dir=$(timeout 600 go mod download -json "$1@$2" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    (cd "$dir" && GOFLAGS=-mod=mod timeout 2400 go build -trimpath -o "$bin.tmp" "$3") >&2
    mv "$bin.tmp" "$bin"
  fi
  echo "$bin"
}

# per_run LABEL CMD...: run CMD $runs times (it must succeed) and print the
# mean wall time per run.
per_run() {
  local label=$1; shift
  "$@" >/dev/null 2>&1 || { echo "$label: command failed: $*" >&2; return 1; }
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  printf '%-58s %6d ms per run (%d runs)\n' "$label" $(((end - start) / runs / 1000000)) "$runs"
}

cosign=$(build github.com/sigstore/cosign/v3 v3.1.3 ./cmd/cosign cosign)
opa=$(build github.com/open-policy-agent/opa v1.22.2 . opa)
go build -o "$work/ztci-conformance" ./examples/conformance

# The same public-good SLSA provenance bundle and trust root for both.
case_dir=verify/testdata/slsa/gha_container-based/v2.1.0
bundle=$case_dir/binary-linux-amd64-workflow_dispatch.intoto.build.slsa
artifact=$case_dir/binary-linux-amd64-workflow_dispatch
id=https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container-based_slsa3.yml@refs/tags/v2.1.0
iss=https://token.actions.githubusercontent.com
cp verify/trusted_root_public_good.json "$work/trusted_root.json"

per_run "cosign verify-blob-attestation (process)" "$cosign" verify-blob-attestation \
  --bundle "$bundle" --trusted-root "$work/trusted_root.json" \
  --certificate-identity "$id" --certificate-oidc-issuer "$iss" \
  --type https://slsa.dev/provenance/v1 "$artifact"
per_run "ztci examples/conformance verify-bundle (process)" "$work/ztci-conformance" verify-bundle \
  --bundle "$bundle" --certificate-identity "$id" --certificate-oidc-issuer "$iss" \
  --trusted-root "$work/trusted_root.json" "$artifact"

# The built-in deploy gate on BenchmarkDeployGate's input.
ZTCI_OPA_EVAL_DIR="$work/opa" go test ./policy -run TestBenchmarkInputAsJSON -count=1 >/dev/null
per_run "opa eval, built-in deploy gate (process)" "$opa" eval --fail \
  -d "$work/opa/lib" -d "$work/opa/data.json" -i "$work/opa/input.json" data.ztci.main.decision

# HTTP requests reaching the registry for one cold verification of the same
# attested image (in-process registry with the referrers API).
ZTCI_COSIGN="$cosign" go test ./verify/image -run TestCosignPeerRoundTrips -count=1 -v |
  grep -o 'requests reaching the registry: .*'

#!/usr/bin/env bash
# The fuzz campaign (not part of CI's run): every fuzz target in the module,
# one at a time, for a fixed time each, with a summary of executions and
# findings per target. A crasher stays in the package's testdata/fuzz as a
# seed; commit it with the fix.
#
#   bash .ci/fuzz.sh            # 2 minutes per target
#   FUZZTIME=10m bash .ci/fuzz.sh ./identity/oidc ./verify   # chosen packages
#   FUZZTIME=10m FUZZONLY='FuzzVerify|FuzzDecodeClaims' bash .ci/fuzz.sh ./identity/oidc
#   FUZZSKIP='FuzzVerify' bash .ci/fuzz.sh                     # all targets but these
#
# Targets that run fewer than 1,000 inputs a minute are flagged: they are
# end-to-end targets and should be seeded from faster parsing targets.
#
# Minimisation is bounded (FUZZMINIMIZE, default 1s instead of go test's
# 60s): after each new-coverage input the worker minimises it, and those
# executions are not counted. For a target whose inputs are kilobytes and
# whose executions verify signatures, minimisation took the whole run:
# FuzzVerifyLog counted 6 executions in 21 s with the default, 12,300 in
# 30 s with 1s (same binary, same machine, 2026-12-05).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
fuzztime=${FUZZTIME:-2m}
minimize=${FUZZMINIMIZE:-1s}
parallel=${FUZZPARALLEL:-$(nproc)}
pkgs=("$@")
((${#pkgs[@]})) || mapfile -t pkgs < <(go list ./...)
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/ztci-fuzz-$(date -u +%Y%m%dT%H%M%SZ).txt}
# FUZZTIME in seconds, for the per-minute rate (Ns, Nm or Nh).
case $fuzztime in
  *s) secs=${fuzztime%s} ;; *m) secs=$((${fuzztime%m} * 60)) ;; *h) secs=$((${fuzztime%h} * 3600)) ;;
  *) echo "FUZZTIME must be Ns, Nm or Nh" >&2; exit 2 ;;
esac
printf '%-45s %-32s %12s %10s %s\n' package target execs per-min result | tee "$out"
for pkg in "${pkgs[@]}"; do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' |
    grep -Ex "${FUZZONLY:-.*}" | grep -Evx "${FUZZSKIP:-^$}" || true)
  for t in $targets; do
    log=$(mktemp)
    result=ok
    go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" -parallel "$parallel" "$pkg" >"$log" 2>&1 || result=FAIL
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
    execs=${execs:-0}
    permin=$((execs * 60 / secs))
    ((permin < 1000)) && [[ $result == ok ]] && result="ok (slow: seed it from a parsing target)"
    printf '%-45s %-32s %12s %10s %s\n' "${pkg#github.com/ztci/ztci/}" "$t" "$execs" "$permin" "$result" | tee -a "$out"
    [[ $result == FAIL ]] && sed -n '1,40p' "$log"
    rm -f "$log"
  done
done
echo "summary in $out"

#!/usr/bin/env bash
# scripts/fuzz.sh: runs every fuzz target of the repository, each for a bounded time, and stops
# at the first failure, saying where the failing input was written.
#
#   scripts/fuzz.sh                          # every target, FUZZTIME each (default 20s)
#   FUZZTIME=60s scripts/fuzz.sh ./pkg/callback ./functions/scf   # only these packages
#
# Targets are found, not listed by hand: every package with a test file declaring `func Fuzz…`
# is asked for its targets with `go test -list`. Go fuzzes one target per invocation, so each
# runs on its own: go test -run '^$' -fuzz '^Target$' -fuzztime "$FUZZTIME" ./pkg.
#
# FUZZMINIMIZETIME (default 5s) bounds the minimisation of each new input; Go's default (60s)
# stalls the targets that write to a real SQLite store for most of a short run.
#
# A failing input is written by go test to <package>/testdata/fuzz/<Target>/<hash>. Fix the bug
# and commit that file: every later `go test` runs it as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-20s}
minimize=${FUZZMINIMIZETIME:-5s}

patterns=("$@")
[ ${#patterns[@]} -gt 0 ] || patterns=(./...)

# Packages with a fuzz target: the test files of each package (as the go command sees them,
# build constraints applied), searched for a Fuzz function.
pkgs=()
while read -r dir files; do
  [ -n "$files" ] || continue
  # shellcheck disable=SC2086 # the file list is space-separated on purpose
  if (cd "$dir" && grep -qE '^func Fuzz[A-Z0-9_]' $files); then
    pkgs+=("./$(realpath --relative-to=. "$dir")")
  fi
done < <(go list -f '{{.Dir}} {{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' "${patterns[@]}")

if [ ${#pkgs[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets in ${patterns[*]}" >&2
  exit 1
fi

# deadline_race LOG TARGET: whether the run in LOG failed only by Go's fuzzing coordinator racing
# its own -fuzztime deadline (golang/go#75804, fixed in Go 1.27, present in 1.26.x): the target's
# FAIL line followed by a bare "context deadline exceeded" (a target's own error carries its
# file:line) and no failing input written. It says nothing about our code, so the target is run
# once more; a second failure of any kind fails the run.
deadline_race() {
  ! grep -q 'Failing input written to' "$1" &&
    grep -A1 -E "^--- FAIL: $2 \(" "$1" | tail -n 1 | grep -qx '    context deadline exceeded'
}

fuzz_one() { # fuzz_one PKG TARGET: one bounded fuzzing run, its output also in $log
  go test -run '^$' -fuzz "^${2}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$1" 2>&1 | tee "$log"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
count=0
retried=0
for pkg in "${pkgs[@]}"; do
  targets=$(go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' || true)
  for target in $targets; do
    count=$((count + 1))
    printf '\n== %s %s (%s)\n' "$pkg" "$target" "$fuzztime"
    if fuzz_one "$pkg" "$target"; then
      continue
    fi
    if deadline_race "$log" "$target"; then
      retried=$((retried + 1))
      printf '\nfuzz.sh: %s stopped on the Go 1.26 fuzztime race (golang/go#75804), no input failed; once more:\n' "$target"
      if fuzz_one "$pkg" "$target"; then
        continue
      fi
    fi
    echo
    echo "fuzz.sh: $target in $pkg FAILED"
    written=$(sed -n 's/.*Failing input written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
    if [ -n "$written" ]; then
      echo "fuzz.sh: the failing input is in ${pkg#./}/$written"
      echo "fuzz.sh: re-run it with: go test -run '^${target}\$/$(basename "$written")\$' $pkg"
      echo "fuzz.sh: fix the bug, then commit that file as a regression case"
    fi
    exit 1
  done
done
printf '\nfuzz.sh: %d targets, %s each: no failure (%d run again after the fuzztime race)\n' "$count" "$fuzztime" "$retried"

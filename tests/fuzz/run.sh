#!/bin/sh
# Runs every libFuzzer target in $FUZZ_BUILD/bin for $FUZZ_SECONDS seconds
# each, on a scratch copy of tests/fuzz/corpus/<target> (the committed seeds
# stay small), and prints one line per target. Exits 1 if any target
# crashed, leaked, timed out or broke a property; its input is kept under
# $FUZZ_BUILD/artifacts and its log under $FUZZ_BUILD/logs.
# Usage (normally through `make fuzz`): FUZZ_BUILD=build/fuzz tests/fuzz/run.sh
set -u
build=${FUZZ_BUILD:-build/fuzz}
seconds=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-20000}
here=$(dirname "$0")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
mkdir -p "$build/logs" "$build/artifacts"

# libFuzzer's -print_final_stats lines, and its last status line.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }
field() { grep -E '^#[0-9]+' "$2" | tail -n 1 | sed -n "s/.* $1: \([0-9]*\).*/\1/p"; }

set -- "$build"/bin/*_fuzz
if [ ! -x "$1" ]; then
  echo "fuzz: no targets in $build/bin (run: make fuzz)" >&2
  exit 2
fi
printf '%-20s %12s %9s %7s %7s  %s\n' target execs exec/s cov ft result
failed=0
for bin in "$@"; do
  name=$(basename "$bin")
  corpus="$scratch/$name"
  mkdir -p "$corpus"
  [ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$corpus"/ 2>/dev/null
  dict=
  [ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
  log="$build/logs/$name.log"
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" \
    -timeout=10 -detect_leaks=1 -print_final_stats=1 $dict \
    -artifact_prefix="$build/artifacts/$name-" "$corpus" >"$log" 2>&1
  rc=$?
  result=ok
  if [ "$rc" -ne 0 ]; then
    failed=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    reason=$(grep -m 1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-zA-Z -]+|runtime error: .*|FUZZ_CHECK failed: .*' "$log")
    result="FAILED (${reason:-exit $rc}) ${artifact:-} log: $log"
  fi
  printf '%-20s %12s %9s %7s %7s  %s\n' "$name" \
    "$(stat number_of_executed_units "$log")" \
    "$(stat average_exec_per_sec "$log")" \
    "$(field cov "$log")" "$(field ft "$log")" "$result"
done
exit "$failed"

#!/usr/bin/env bash
# `make test`: every build and every test, phase by phase, each one timed.
# All phases run even after one fails, so one run shows every failure; the
# exit status is non-zero if any failed. It ends with the phase times and
# then GoogleTest's own summary of the last suite (the plain integration
# tests), so the budget (8 minutes on 2 cores) stays in view.
set -uo pipefail
cd "$(dirname "$0")/.."

make=${MAKE:-make}
nproc=${NPROC:-$(nproc)}
asan=build/address-undefined
tsan=build/thread
last_log=$(mktemp)
trap 'rm -f "$last_log" "$last_log".*' EXIT

names=() secs=() results=()
failed=0
# phase NAME COMMAND...: runs COMMAND, records its time and result.
phase() {
  local name=$1 start=$SECONDS rc
  shift
  printf '\n=== make test: %s\n' "$name"
  "$@"
  rc=$?
  names+=("$name") secs+=($((SECONDS - start)))
  if [ $rc -eq 0 ]; then results+=(ok); else results+=("FAILED (exit $rc)"); failed=1; fi
}

# together NAME COMMAND [NAME COMMAND...]: runs the commands at once, each
# into its own log; prints each one's summary (its whole log if it failed).
together() {
  local dir pids=() labels=() i rc=0
  dir=$(mktemp -d)
  while [ $# -ge 2 ]; do
    labels+=("$1")
    bash -c "$2" > "$dir/${#labels[@]}.log" 2>&1 &
    pids+=($!)
    shift 2
  done
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
      printf -- '--- %s: passed\n' "${labels[$i]}"
      sed -n '/^\[==========\] .* ran\./,$p' "$dir/$((i + 1)).log"
    else
      printf -- '--- %s: FAILED, its whole output:\n' "${labels[$i]}"
      cat "$dir/$((i + 1)).log"
      rc=1
    fi
  done
  rm -rf "$dir"
  return $rc
}

total_start=$SECONDS
# Without the binaries no test can run: a failed build ends here.
phase "build: plain, ASan+UBSan, TSan (-j$nproc)" \
  "$make" --no-print-directory -j"$nproc" test-build
if [ $failed -ne 0 ]; then
  echo "make test: the build failed; no test ran" >&2
  exit 1
fi
phase "unit tests" build/unit_tests
phase "browser test (headless Chromium)" env BUILD=build tests/browser/run.sh
phase "unit tests, ASan+UBSan" "$asan/unit_tests"
# The two sanitized passes at once: each mostly waits on its stack, and
# together they take little more than one alone.
phase "integration tests under ASan+UBSan and TSan, at once" \
  together "ASan+UBSan" "env REGISTRAR_BUILD=$asan build/integration_tests" \
           "TSan" "env REGISTRAR_BUILD=$tsan build/integration_tests"
phase "deployment (make install, make deb, README's spawn-fcgi)" tests/deploy/run.sh
# Once, not under the sanitizers: the mail through a private Postfix.
phase "mail tests (private Postfix)" \
  env REGISTRAR_BUILD=build build/mail_tests
# In two shards at once (GoogleTest's own sharding): the suites mostly wait
# on their stacks, so two take little more than one. Each shard's log is
# kept for the closing summary.
shard() {
  echo "set -o pipefail; GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=$1" \
    "REGISTRAR_BUILD=build build/integration_tests 2>&1 | tee $last_log.$1"
}
phase "integration tests (two shards at once)" \
  together "shard 1 of 2" "$(shard 0)" "shard 2 of 2" "$(shard 1)"

printf '\n=== make test: phase times (budget: 8 minutes on 2 cores)\n'
for i in "${!names[@]}"; do
  printf '%5ds  %-52s %s\n' "${secs[$i]}" "${names[$i]}" "${results[$i]}"
done
total=$((SECONDS - total_start))
printf '%5ds  total, %dm%02ds\n' "$total" $((total / 60)) $((total % 60))
for i in 0 1; do
  printf '\nGoogleTest summary of the last suite (integration tests, shard %d of 2):\n' $((i + 1))
  sed -n '/^\[==========\] .* ran\./,$p' "$last_log.$i"
done
exit $failed

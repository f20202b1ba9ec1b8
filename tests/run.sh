#!/usr/bin/env bash
# `make test`: every build and every test, phase by phase, each one timed.
# All phases run even after one fails, so one run shows every failure; the
# exit status is non-zero if any failed. It ends with the phase times and
# then GoogleTest's own summary of the last suite (the plain integration
# tests), so the budget (8.5 minutes on 2 cores) stays in view.
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
# The integration suites that exercise the contract once more on
# PostgreSQL (REGISTRAR_ENGINE=postgres: one server per run, a database
# per stack), with the tests that only PostgreSQL has (its outage, two
# hosts behind one front nginx).
pg_suites='Register*:Resend*:Activate*:MailJob*:Webhook*:EventOperator*:KilledWorkerEvent*:Retention*:Outage*:KilledWorker*:FailedPost*:DuplicatePosts*:Lease*:PostgresOutage*:TwoHosts*'
pg_only='PostgresOutage*:TwoHosts*'
# Integration runs in two GoogleTest shards each ("shard N ENGINE"); the
# plain SQLite shards' logs are kept for the closing summary.
shard() {
  if [ "$2" = postgres ]; then
    echo "GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=$1 REGISTRAR_ENGINE=postgres" \
      "REGISTRAR_BUILD=build build/integration_tests --gtest_filter='$pg_suites'"
  else
    echo "set -o pipefail; GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=$1" \
      "REGISTRAR_BUILD=build build/integration_tests --gtest_filter='-$pg_only'" \
      "2>&1 | tee $last_log.$1"
  fi
}
# Everything on the plain binaries at once: these suites mostly wait on
# their stacks (timeouts, leases, retries), so together they take little
# more than the longest alone. The mail tests run once, not under the
# sanitizers: the mail through a private Postfix.
phase "mail tests; integration tests on SQLite and on PostgreSQL (two shards each); at once" \
  together "mail tests (private Postfix)" "env REGISTRAR_BUILD=build build/mail_tests" \
           "integration tests, shard 1 of 2" "$(shard 0 sqlite)" \
           "integration tests, shard 2 of 2" "$(shard 1 sqlite)" \
           "integration tests on PostgreSQL, shard 1 of 2" "$(shard 0 postgres)" \
           "integration tests on PostgreSQL, shard 2 of 2" "$(shard 1 postgres)"
# The sanitized runs at once: the unit tests under ASan+UBSan, and the
# integration tests with the responder under ASan+UBSan and under TSan.
phase "unit tests under ASan+UBSan; integration tests under ASan+UBSan and TSan; at once" \
  together "unit tests, ASan+UBSan" "$asan/unit_tests" \
           "integration tests, ASan+UBSan" "env REGISTRAR_BUILD=$asan build/integration_tests --gtest_filter='-$pg_only'" \
           "integration tests, TSan" "env REGISTRAR_BUILD=$tsan build/integration_tests --gtest_filter='-$pg_only'"
phase "deployment (make install, make deb, README's spawn-fcgi)" tests/deploy/run.sh

printf '\n=== make test: phase times (budget: 8 minutes on 2 cores)\n'
for i in "${!names[@]}"; do
  printf '%5ds  %-86s %s\n' "${secs[$i]}" "${names[$i]}" "${results[$i]}"
done
total=$((SECONDS - total_start))
printf '%5ds  total, %dm%02ds\n' "$total" $((total / 60)) $((total % 60))
for i in 0 1; do
  printf '\nGoogleTest summary of the last suite (integration tests, shard %d of 2):\n' $((i + 1))
  sed -n '/^\[==========\] .* ran\./,$p' "$last_log.$i"
done
exit $failed

#!/usr/bin/env bash
# `make test` (tests/run.sh) and `make check` (tests/run.sh check): the
# builds and the test runs as one pipeline, each job timed.
#
# The builds go one after another, each with -j$NPROC. Each test run starts
# once the build it needs is done, up to RUNS runs at once (a new one as
# soon as one ends): the runs mostly wait on their stacks (timeouts,
# leases, retries). The integration suites run in GoogleTest shards
# (SHARDS of them per run).
#
# Every job runs even after another failed (but those whose build failed),
# so one run shows every failure; the exit status is non-zero if any job
# failed. The output ends with the jobs' table and then GoogleTest's own
# summary of every GoogleTest run, the SQLite integration shards (under
# TSan) last.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=${1:-test}
make=${MAKE:-make}
nproc=${NPROC:-$(nproc)}
runs_max=${RUNS:-5}
shards=${SHARDS:-2}
asan=build/address-undefined
tsan=build/thread
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# The integration suites that need PostgreSQL itself (its outage, two hosts
# on one database, TLS to it, a partition): they run only in the PostgreSQL
# pass.
pg_only='PostgresOutage*:TwoHosts*:PgTls*:PgPartition*'
# Suites the PostgreSQL pass leaves out, for the reason said here; every
# other suite, a new one too, runs on both engines. These check what comes
# before or beside the database, the same whatever the engine: nginx's
# rules and limits (Hardening, Flood, ClientKey, InternalListener, RealIp), the
# hash gate before any write (HashFlood), tools/stack's users and files
# (StackAsRoot, SecretFile), the catalogues and the words of pages and
# mails (Language*); and Load, whose registrations TwoHosts sends
# through PostgreSQL. All of them passed on PostgreSQL too (95 of 95, by
# hand); left out, the pass costs 38 tests' processor time less.
sqlite_only='HardeningTest*:FloodTest*:ClientKey*:InternalListenerTest*:HashFlood*'
sqlite_only+=':StackAsRoot*:SecretFile*:LanguageTest*:LanguageCatalogues*:Load*:RealIp*'

# Every GoogleTest run, unit and integration, runs its tests in a new order
# each time (GoogleTest prints the seed at the top of its output:
# --gtest_random_seed=N runs that order again), so that no test leans on
# another having run first, a suite's shared stack included. SHUFFLE=0
# keeps the declared order.
shuffle=
[ "${SHUFFLE:-1}" = 0 ] || shuffle=--gtest_shuffle

names=()
declare -A need cmd kind state started secs result
# job NAME NEEDS KIND COMMAND: NEEDS is the job that must pass first ("" for
# none); KIND is "build" (one at a time, not counted in RUNS) or "run".
job() {
  names+=("$1")
  need[$1]=$2 kind[$1]=$3 cmd[$1]=$4 state[$1]=pending
}

# integration NAME NEEDS SHARDS ENV FILTER: one GoogleTest run in shards.
integration() {
  local i
  for ((i = 0; i < $3; i++)); do
    job "$1, shard $((i + 1)) of $3" "$2" run \
      "GTEST_TOTAL_SHARDS=$3 GTEST_SHARD_INDEX=$i $4 build/integration_tests $shuffle --gtest_filter='$5'"
  done
}

# make check: the plain build; the unit tests and the SQLite integration
# suites on it.
#
# make test: the plain service and test drivers, the TSan service, the
# ASan+UBSan service and unit tests; then every run, the longest first. The
# integration suites run twice, each engine under one sanitizer: SQLite
# under TSan (its write lane is where the threads meet), PostgreSQL under
# ASan+UBSan. Each such run checks all that a plain run of the same suites
# checks (the same tests and assertions; a sanitizer report fails the run
# too), and the unit tests, both engines' storage tests among them, run
# under ASan+UBSan as well. The plain binaries run the mail, browser and
# deployment tests (what is installed and shipped is the plain build). The
# runs wait for the last build: the whole is bound by processor time, and
# runs started beside a build made it slower (13 min against 11). All but
# the mail and deployment tests, which need only the plain build and
# mostly wait (for Postfix's queue, for the workers they start and stop):
# they run beside the sanitizer builds, and no longer make the pipeline's
# tail, where one core had little to do.
plain="build: plain service and test drivers (-j$nproc)"
sanitized="build: TSan service, ASan+UBSan service and unit tests (-j$nproc)"
if [ "$mode" = check ]; then
  unit="build: plain unit tests (-j$nproc)"
  job "$plain" "" build "$make --no-print-directory -j$nproc service build/integration_tests"
  job "$unit" "$plain" build "$make --no-print-directory -j$nproc build/unit_tests"
  # Load sends 500 registrations, not a plain run's 2,000 (12.6 processor
  # seconds of the stack against 3.1): the inner loop checks that each is
  # answered and mailed once; the numbers are `make bench`'s.
  integration "integration tests" "$plain" "$((shards + 2))" \
    "REGISTRAR_BUILD=build REGISTRAR_LOAD=500" "-$pg_only"
  # The unit tests in shards: they start when the integration shards are
  # ending, and one process alone would keep one core busy. Three, not
  # two: GoogleTest deals the tests out in turn, and the storage tests
  # alternate between the engines, so two shards would give one of them
  # every PostgreSQL test.
  for i in 0 1 2; do
    job "unit tests, shard $((i + 1)) of 3" "$unit" run \
      "GTEST_TOTAL_SHARDS=3 GTEST_SHARD_INDEX=$i build/unit_tests $shuffle"
  done
else
  job "$plain" "" build \
    "$make --no-print-directory -j$nproc service build/integration_tests build/mail_tests"
  job "$sanitized" "$plain" build "$make --no-print-directory -j$nproc build-sanitized"
  # The load tests send fewer registrations than a plain run's 2,000:
  # under a sanitizer each costs several times a plain one's processor time
  # (TSan about ten). Load (SQLite, the write lane's threads under TSan)
  # sends 1,000; TwoHosts (PostgreSQL, where most of the time is the
  # server's) 500, still 32 at a time over both hosts.
  integration "integration tests, SQLite, TSan" "$sanitized" "$shards" \
    "REGISTRAR_BUILD=$tsan REGISTRAR_LOAD=1000" "-$pg_only"
  integration "integration tests, PostgreSQL, ASan+UBSan" "$sanitized" "$shards" \
    "REGISTRAR_ENGINE=postgres REGISTRAR_BUILD=$asan REGISTRAR_LOAD=500" "*${sqlite_only:+-$sqlite_only}"
  job "mail tests (private Postfix)" "$plain" run "REGISTRAR_BUILD=build build/mail_tests"
  job "unit tests, ASan+UBSan" "$sanitized" run "$asan/unit_tests $shuffle"
  job "browser test (headless Chromium)" "$sanitized" run "BUILD=build tests/browser/run.sh"
  job "deployment (make install, make deb, README's spawn-fcgi)" "$plain" run "tests/deploy/run.sh"
fi

t0=$SECONDS
running_runs=0 building=0
declare -A name_of
log_of() { printf '%s/%d.log' "$logs" "$1"; }
index_of() { local i; for i in "${!names[@]}"; do [ "${names[$i]}" = "$1" ] && echo "$i"; done; }

# Each job's processor time, where this host lets us make cgroup v1
# cpuacct groups (it counts the daemons a job starts too: nginx, the
# workers, the sinks); elsewhere the column shows "-".
cg_root=/sys/fs/cgroup/cpuacct
cg=
if mkdir "$cg_root/registrar-test-$$" 2>/dev/null; then
  cg=$cg_root/registrar-test-$$
  trap 'rm -rf "$logs"; for d in "$cg"/*/; do rmdir "$d" 2>/dev/null; done; rmdir "$cg" 2>/dev/null' EXIT
fi
cpu_of() {  # cpu_of INDEX: the job's processor seconds, or "-"
  local f=$cg/$1/cpuacct.usage
  if [ -n "$cg" ] && [ -r "$f" ]; then echo $(($(cat "$f") / 1000000000)); else echo -; fi
}

start() {
  local n=$1 i
  i=$(index_of "$n")
  if [ -n "$cg" ] && mkdir "$cg/$i" 2>/dev/null; then
    bash -c "echo \$\$ > $cg/$i/tasks; ${cmd[$n]}" > "$(log_of "$i")" 2>&1 &
  else
    bash -c "${cmd[$n]}" > "$(log_of "$i")" 2>&1 &
  fi
  name_of[$!]=$n
  state[$n]=running started[$n]=$((SECONDS - t0))
  if [ "${kind[$n]}" = build ]; then building=1; else running_runs=$((running_runs + 1)); fi
  printf '%4ds  start  %s\n' "${started[$n]}" "$n"
}

while :; do
  for n in "${names[@]}"; do
    [ "${state[$n]}" = pending ] || continue
    dep=${need[$n]}
    if [ -n "$dep" ]; then
      case ${state[$dep]} in
        ok) ;;
        failed | skipped)
          state[$n]=skipped result[$n]="not run ($dep failed)"
          continue ;;
        *) continue ;;
      esac
    fi
    if [ "${kind[$n]}" = build ]; then
      [ $building -eq 0 ] || continue
    else
      [ $running_runs -lt "$runs_max" ] || continue
    fi
    start "$n"
  done
  [ ${#name_of[@]} -gt 0 ] || break
  finished=
  wait -n -p finished
  rc=$?
  n=${name_of[$finished]}
  unset "name_of[$finished]"
  secs[$n]=$((SECONDS - t0 - started[$n]))
  if [ "${kind[$n]}" = build ]; then building=0; else running_runs=$((running_runs - 1)); fi
  if [ $rc -eq 0 ]; then
    state[$n]=ok result[$n]=ok
  else
    state[$n]=failed result[$n]="FAILED (exit $rc)"
  fi
  printf '%4ds  %-6s %s (%ds)\n' $((SECONDS - t0)) "${state[$n]}" "$n" "${secs[$n]}"
done
total=$((SECONDS - t0))

failed=0
for i in "${!names[@]}"; do
  n=${names[$i]}
  [ "${state[$n]}" = ok ] && continue
  failed=1
  if [ "${state[$n]}" = failed ]; then
    printf '\n=== %s: FAILED, its whole output:\n' "$n"
    cat "$(log_of "$i")"
  fi
done

budget=360
[ "$mode" = check ] && budget=120
printf '\n=== make %s: jobs (start, seconds, processor seconds; budget %d s on 2 cores)\n' "$mode" "$budget"
for i in "${!names[@]}"; do
  n=${names[$i]}
  printf '%5s %5s %5s  %-70s %s\n' "${started[$n]:--}" "${secs[$n]:--}" "$(cpu_of "$i")" "$n" "${result[$n]}"
done
printf '%5s %5d  total, %dm%02ds\n' '' "$total" $((total / 60)) $((total % 60))

# GoogleTest's own summaries, the SQLite integration shards last.
printf '\n=== GoogleTest summaries\n'
last=()
for i in "${!names[@]}"; do
  n=${names[$i]}
  grep -q '^\[==========\] .* ran\.' "$(log_of "$i")" 2>/dev/null || continue
  case $n in "integration tests, SQLite, TSan, shard"*)
    last+=("$i"); continue ;;
  esac
  printf -- '--- %s\n' "$n"
  sed -n '/^\[==========\] .* ran\./,$p' "$(log_of "$i")"
done
for i in "${last[@]}"; do
  printf -- '--- %s\n' "${names[$i]}"
  sed -n '/^\[==========\] .* ran\./,$p' "$(log_of "$i")"
done
exit $failed

#!/usr/bin/env bash
# Runs test projects again and again while a CPU hog keeps one core busy: the check that the
# suite waits on what the system reports, never on the machine's pace.
#
#   scripts/test-under-load.sh [-n RUNS] [-p workflow|integration|all] [--no-hog] [--open-handles] [-- JEST ARGS]
#
#   -n RUNS          how many times (default 3)
#   -p PROJECTS      workflow, integration or all (= workflow then integration; default all)
#   --no-hog         no CPU hog (to compare)
#   --open-handles   run jest with --detectOpenHandles (it must report nothing)
#   -- JEST ARGS     passed to jest, e.g. a test file to narrow the run
#
# Every run's output is kept under .bench/under-load/<time>/; the last line says how many runs
# passed, and the script fails if any did not.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
projects=all
hog=true
open_handles=()
extra=()
while (($#)); do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    -p) projects="$2"; shift 2 ;;
    --no-hog) hog=false; shift ;;
    --open-handles) open_handles=(--detectOpenHandles); shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [-n RUNS] [-p workflow|integration|all] [--no-hog] [--open-handles] [-- JEST ARGS]" >&2; exit 2 ;;
  esac
done
case "$projects" in
  workflow) selected=(workflow) ;;
  integration) selected=(integration) ;;
  all) selected=(workflow integration) ;;
  *) echo "unknown project set: $projects" >&2; exit 2 ;;
esac

bash scripts/setup.sh >/dev/null

out=".bench/under-load/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
hog_pid=
stop_hog() { [ -n "$hog_pid" ] && kill "$hog_pid" 2>/dev/null || true; }
trap stop_hog EXIT
if $hog; then
  # One busy core: a shell loop with no I/O, at normal priority, as another tenant would be.
  sh -c 'while :; do :; done' &
  hog_pid=$!
  echo "under-load: CPU hog on one core (pid $hog_pid)"
fi

passed=0
for i in $(seq 1 "$runs"); do
  ok=true
  for p in "${selected[@]}"; do
    log="$out/run-$i-$p.log"
    start=$(date +%s)
    # The project's own command (package.json), as scripts/test.sh runs it.
    if npm run -s "test:$p" -- "${open_handles[@]}" "${extra[@]}" >"$log" 2>&1; then status=passed; else status=FAILED; ok=false; fi
    summary=$(grep -E '^Tests:' "$log" | tail -n1 || true)
    printf 'under-load: run %d/%d %-11s %s in %ss  %s\n' "$i" "$runs" "$p" "$status" "$(( $(date +%s) - start ))" "$summary" | tee -a "$out/summary"
    if [ ${#open_handles[@]} -gt 0 ] && grep -q 'Jest has detected the following' "$log"; then
      echo "under-load: run $i $p: jest reported open handles (see $log)" | tee -a "$out/summary"
      ok=false
    fi
  done
  $ok && passed=$((passed + 1))
done
echo "under-load: $passed of $runs runs passed (${selected[*]}; logs in $out)" | tee -a "$out/summary"
[ "$passed" -eq "$runs" ]

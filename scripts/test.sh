#!/usr/bin/env bash
# README command 2: install what is missing, then run every check and test suite.
#
# The static checks run side by side (each is one process on one core); the test projects
# run one after another, each with its own parallelism (package.json's test:* scripts).
# Each stage prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

stage() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}

# typecheck, lint and the API contract drift check at once; each one's output after it ends.
checks() {
  local dir pids=() names=(typecheck "console typecheck" lint "api types") failed=0
  dir=$(mktemp -d)
  npx --no-install tsc --noEmit -p tsconfig.json >"$dir/0" 2>&1 & pids+=($!)
  # The web console (browser code: DOM types, JSX) has a tsconfig of its own.
  npx --no-install tsc --noEmit -p console/tsconfig.json >"$dir/1" 2>&1 & pids+=($!)
  npx --no-install eslint . >"$dir/2" 2>&1 & pids+=($!)
  bash scripts/check-api-types.sh >"$dir/3" 2>&1 & pids+=($!)
  for i in 0 1 2 3; do
    if wait "${pids[$i]}"; then echo "-- ${names[$i]}: ok"; else echo "-- ${names[$i]}: FAILED"; failed=1; fi
    cat "$dir/$i"
  done
  rm -rf "$dir"
  return $failed
}

stage "typecheck, lint, api types" checks
stage unit npm run -s test:unit
stage workflow npm run -s test:workflow
stage integration npm run -s test:integration
stage production npm run -s test:production

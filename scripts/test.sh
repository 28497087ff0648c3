#!/usr/bin/env bash
# README command 2: install what is missing, then run every check and test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck";        npx --no-install tsc --noEmit -p tsconfig.json
echo "== lint";             npx --no-install eslint .
echo "== api types";        bash scripts/check-api-types.sh
echo "== unit";             npm run -s test:unit
echo "== workflow";         npm run -s test:workflow
echo "== integration";      npm run -s test:integration

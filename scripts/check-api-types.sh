#!/usr/bin/env bash
# Fails when contract/generated/api-schema.ts no longer matches openapi/backstop.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp --suffix=.ts)
trap 'rm -f "$tmp"' EXIT
npx --no-install openapi-typescript openapi/backstop.yaml --default-non-nullable false -o "$tmp" >/dev/null 2>&1
if ! diff -q "$tmp" contract/generated/api-schema.ts >/dev/null; then
  echo "contract/generated/api-schema.ts is out of date: run 'npm run gen:api'" >&2
  diff -u contract/generated/api-schema.ts "$tmp" | head -40 >&2
  exit 1
fi
echo "api types match the spec"

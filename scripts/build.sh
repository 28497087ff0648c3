#!/usr/bin/env bash
# Compiles the runtime code to dist/ (incremental tsc) and bundles the workflows once into
# dist/workflow-bundle.js, which the server worker loads instead of bundling at every start,
# and into dist/workflow-bundle-versioned.js, the same workflows declaring their versioning
# behavior, for a server worker with a build id (workflows/versioned.ts says why two).
# A bundle is made again only when compiled code changed after it. Last, the web console
# (console/) into dist/console, which the API serves under /ui/ (scripts/build-console.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.build.json
# tsc leaves its build info alone when no output changed; bin/backstop compares sources
# against it, so mark this build as the newest.
touch dist/.tsbuildinfo
bundle_if_stale() {
  local entry=$1 bundle=$2
  if [ -f "$bundle" ] && [ -z "$(find dist/workflows dist/contract -name '*.js' -newer "$bundle" -print -quit)" ]; then return; fi
  node -e '
    const { bundleWorkflowCode } = require("@temporalio/worker");
    const { writeFileSync, renameSync } = require("node:fs");
    const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
    bundleWorkflowCode({ workflowsPath: require.resolve(process.argv[1]), logger: quiet }).then((b) => {
      writeFileSync(process.argv[2] + ".tmp", b.code);
      renameSync(process.argv[2] + ".tmp", process.argv[2]);
    }, (e) => { console.error(e); process.exit(1); });
  ' "$entry" "$bundle"
}
bundle_if_stale ./dist/workflows dist/workflow-bundle.js
bundle_if_stale ./dist/workflows/versioned dist/workflow-bundle-versioned.js
npx --no-install tsx scripts/build-console.ts

#!/usr/bin/env bash
# Compiles the runtime code to dist/ (incremental tsc) and bundles the workflows once into
# dist/workflow-bundle.js, which the server worker loads instead of bundling at every start.
# The bundle is made again only when compiled code changed after it.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.build.json
# tsc leaves its build info alone when no output changed; bin/backstop compares sources
# against it, so mark this build as the newest.
touch dist/.tsbuildinfo
bundle=dist/workflow-bundle.js
if [ ! -f "$bundle" ] || [ -n "$(find dist/workflows dist/contract -name '*.js' -newer "$bundle" -print -quit)" ]; then
  node -e '
    const { bundleWorkflowCode } = require("@temporalio/worker");
    const { writeFileSync, renameSync } = require("node:fs");
    const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
    bundleWorkflowCode({ workflowsPath: require.resolve("./dist/workflows"), logger: quiet }).then((b) => {
      writeFileSync(process.argv[1] + ".tmp", b.code);
      renameSync(process.argv[1] + ".tmp", process.argv[1]);
    }, (e) => { console.error(e); process.exit(1); });
  ' "$bundle"
fi

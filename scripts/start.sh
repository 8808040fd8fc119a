#!/usr/bin/env bash
# `npm start`: installs what is missing, then serves the examples. Extra arguments go to `glia up`
# (e.g. `npm start -- --port 9000`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx control-plane/cli/main.ts up "$PWD/examples/hello" "$PWD/examples/iris" "$@"

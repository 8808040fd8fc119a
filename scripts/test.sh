#!/usr/bin/env bash
# `npm test`: installs what is missing, then runs every test: TypeScript units and cross-process
# tests (node's test runner), then the Python runtime's tests (pytest). Fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/check.sh || { echo "test: npm run check failed (npm run fix repairs formatting)" >&2; exit 1; }

mapfile -t files < <(find control-plane test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node --import tsx --test --test-timeout=300000 --test-concurrency=1 "${files[@]}"
node_status=$?

.venv/bin/python -m pytest python-runtime/tests -q
py_status=$?

if [ "$node_status" -ne 0 ] || [ "$py_status" -ne 0 ]; then
  echo "test: failed (node: $node_status, pytest: $py_status)" >&2
  exit 1
fi

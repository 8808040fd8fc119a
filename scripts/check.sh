#!/usr/bin/env bash
# `npm run check`: formatting, lint, types, and generated code up to date. Changes nothing;
# `npm run fix` rewrites what the formatters and linters can fix.
set -euo pipefail
cd "$(dirname "$0")/.."
npx prettier --check --log-level warn .
npx eslint .
npx tsc -p tsconfig.json
.venv/bin/ruff format --check --quiet python-runtime gpu-images examples
.venv/bin/ruff check --quiet python-runtime gpu-images examples
# Python types: strict on glia_runtime and cortex_internal ([tool.pyright] in python-runtime/pyproject.toml).
npx pyright -p python-runtime
# The committed TypeScript gRPC types must match the .proto.
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
npx proto-loader-gen-types --longs=String --enums=String --defaults --oneofs --includeComments \
  --grpcLib=@grpc/grpc-js --importFileExtension=.ts --outDir="$gen" proto/glia/runtime/v1/runtime.proto >/dev/null
if ! diff -r "$gen" control-plane/runtime/gen >/dev/null; then
  echo "check: control-plane/runtime/gen is out of date with the .proto; run npm run gen:proto" >&2
  exit 1
fi
.venv/bin/python python-runtime/scripts/gen_proto.py --check >/dev/null

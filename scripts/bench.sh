#!/usr/bin/env bash
# `npm run bench`: no-op requests through the whole path; prints throughput and latency figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx test/bench/pipeline.ts "$@"

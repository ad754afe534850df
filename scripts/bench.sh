#!/usr/bin/env bash
# `npm run bench`: set-up, build, then every benchmark (ingest, nearby, booking, live) in turn;
# `bash scripts/bench.sh nearby booking` runs only those; the soak (`npm run soak`) runs only by name.
# Each prints a table and writes bench/results/<name>.json; see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-tool.sh mosquitto mosquitto "the broker tests and benchmarks start their own instances"
echo "[bench] building the services (the benchmarks run them as processes)"
npm run --silent build >/dev/null
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(ingest nearby booking live)
for name in "${names[@]}"; do
  [ -f "bench/$name.ts" ] || { echo "[bench] no benchmark bench/$name.ts" >&2; exit 1; }
  echo "[bench] ===== $name ====="
  node -r ts-node/register/transpile-only -r tsconfig-paths/register "bench/$name.ts"
done

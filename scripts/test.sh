#!/usr/bin/env bash
# `npm test`: set-up (packages, PostgreSQL with PostGIS, Mosquitto for the broker tests), build, then
# every tier in one Jest run: unit, integration (real PostgreSQL/PostGIS and Mosquitto).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

bash scripts/ensure-mosquitto.sh

echo "[test] building the services (integration tests run them as processes)"
npm run --silent build >/dev/null

mkdir -p .tmp
status=0
npx jest --ci --json --outputFile=.tmp/jest-results.json "$@" || status=$?
node -e '
  const r = require("./.tmp/jest-results.json");
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' || true
exit $status

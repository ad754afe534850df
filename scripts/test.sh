#!/usr/bin/env bash
# `npm test`: set-up (packages, PostgreSQL with PostGIS, Mosquitto for the broker tests), build, then
# every tier in one Jest run: unit, integration (real PostgreSQL/PostGIS and Mosquitto).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if ! command -v mosquitto >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "[test] installing mosquitto (the broker tests start their own instances of it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null || {
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
    }
  else
    echo "[test] ERROR: the 'mosquitto' binary is needed by the integration tests (Debian: apt-get install mosquitto)" >&2
    exit 1
  fi
fi

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

#!/usr/bin/env bash
# `npm test`: set-up (packages, PostgreSQL with PostGIS, Redis, Mosquitto, Chromium), build, then
# every tier in one Jest run: unit, integration (real PostgreSQL/PostGIS and Mosquitto), browser
# (headless Debian Chromium through playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The booking services of the tests count their rate limits in Redis (test/integration/platform.ts).
node scripts/redis-ping.js >/dev/null 2>&1 || {
  echo "[test] ERROR: the tests need Redis at ${REDIS_URL:-redis://127.0.0.1:6379} (Debian: apt-get install redis-server)" >&2
  exit 1
}

bash scripts/ensure-tool.sh mosquitto mosquitto "the broker tests start their own instances"
bash scripts/ensure-tool.sh chromium chromium "the browser tests drive a headless Chromium (playwright-core)"

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

#!/usr/bin/env bash
# `npm start`: set-up (packages, PostgreSQL with PostGIS, database, migrations), build, then every
# service as its own process with an embedded MQTT broker unless MQTT_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[fleet] building the services"
npm run --silent build >/dev/null
exec node -r ts-node/register/transpile-only scripts/run-all.ts

#!/usr/bin/env bash
# Makes the `mosquitto` binary available: the broker tests and benchmarks start their own instances.
set -euo pipefail
if ! command -v mosquitto >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "[mosquitto] installing mosquitto (tests and benchmarks start their own instances of it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null || {
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
    }
  else
    echo "[mosquitto] ERROR: the 'mosquitto' binary is needed by the integration tests and benchmarks (Debian: apt-get install mosquitto)" >&2
    exit 1
  fi
fi

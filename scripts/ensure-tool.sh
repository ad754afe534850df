#!/usr/bin/env bash
# Makes a program the tests or benchmarks need available, installing its Debian package when missing:
#   bash scripts/ensure-tool.sh <program> <debian-package> <what it is for>
# e.g. mosquitto (tests and benchmarks start their own brokers), chromium (the browser tests).
set -euo pipefail
program=$1 package=$2 why=$3
command -v "$program" >/dev/null && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "[$program] installing $package ($why)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  }
else
  echo "[$program] ERROR: '$program' is needed: $why (Debian: apt-get install $package)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Makes this machine ready to run or test Fleet: npm packages, PostgreSQL with PostGIS, Redis, the
# database and its migrations. Idempotent; used by `npm start`, `npm test` and the benchmarks. Where it
# cannot install something itself it says what is missing and how to get it, and exits non-zero (Redis
# is optional for `npm start`: then it only warns).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fleet}"
export DATABASE_URL

# --- Node ------------------------------------------------------------------------------------------
command -v node >/dev/null || die "Node.js 20 or newer is required (https://nodejs.org or 'apt-get install nodejs')."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required, found $(node --version)."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- PostgreSQL with PostGIS -------------------------------------------------------------------------
pg_host=$(node -p 'new URL(process.env.DATABASE_URL).hostname || "127.0.0.1"')
pg_port=$(node -p 'new URL(process.env.DATABASE_URL).port || "5432"')
is_local=false
case "$pg_host" in 127.0.0.1|localhost|::1|"[::1]") is_local=true ;; esac

can_apt=false
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then can_apt=true; fi
apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=true
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { node scripts/pg-ping.js >/dev/null 2>&1; }

if ! pg_ready; then
  if [ "$is_local" = true ] && [ "$can_apt" = true ]; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      say "no PostgreSQL server found: installing one"
      apt_install postgresql
    fi
    major=$(ls /etc/postgresql | sort -n | tail -n 1)
    say "starting PostgreSQL $major"
    pg_ctlcluster --skip-systemctl-redirect "$major" main start || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
  pg_ready || die "PostgreSQL is not reachable at $pg_host:$pg_port. Start a PostgreSQL 13+ server with PostGIS 3 (Debian: 'apt-get install postgresql postgresql-<major>-postgis-3'), or set DATABASE_URL."
fi

if [ "$is_local" = true ] && [ -d /etc/postgresql ]; then
  major=$(ls /etc/postgresql | sort -n | tail -n 1)
  if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    if [ "$can_apt" = true ]; then
      apt_install "postgresql-$major-postgis-3"
    else
      die "PostGIS is missing for PostgreSQL $major. Install it as root: apt-get install postgresql-$major-postgis-3"
    fi
  fi
fi

# --- Redis (rate limits shared by the booking processes) ----------------------------------------------
# npm start runs booking against it when it answers (otherwise each process counts alone, which the
# service says at start); the tests need it.
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
redis_host=$(REDIS_URL="$redis_url" node -p 'new URL(process.env.REDIS_URL).hostname || "127.0.0.1"')
redis_port=$(REDIS_URL="$redis_url" node -p 'new URL(process.env.REDIS_URL).port || "6379"')
redis_ready() { REDIS_URL="$redis_url" node scripts/redis-ping.js >/dev/null 2>&1; }

if ! redis_ready; then
  case "$redis_host" in
    127.0.0.1|localhost|::1|"[::1]")
      if [ "$can_apt" = true ]; then
        command -v redis-server >/dev/null || { say "no Redis server found: installing one"; apt_install redis-server; }
        say "starting Redis on port $redis_port"
        if [ "$redis_port" = 6379 ] && [ -x /etc/init.d/redis-server ]; then
          # Debian's service script: its configuration, user and data directory (no systemd needed).
          /etc/init.d/redis-server start >/dev/null || true
        else
          redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
            --dir /tmp --logfile "/tmp/redis-$redis_port.log" || true
        fi
        for _ in $(seq 1 20); do redis_ready && break; sleep 0.5; done
      fi
      ;;
  esac
  if redis_ready; then
    say "Redis answers at $redis_host:$redis_port"
  else
    say "WARNING: no Redis answers at $redis_host:$redis_port. npm start runs anyway, each booking process counting its own rate limits; the tests need it (Debian: apt-get install redis-server, or set REDIS_URL)."
  fi
fi

# --- Database and migrations -------------------------------------------------------------------------
node scripts/create-database.js
say "running migrations"
node -r ts-node/register/transpile-only -r tsconfig-paths/register scripts/migrate.ts
say "ready: $DATABASE_URL"

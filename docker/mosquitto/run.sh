#!/bin/sh
# Mosquitto with the account files the telemetry gateway keeps in /mosquitto/auth (its
# MOSQUITTO_AUTH_DIR, a shared volume): empty files until the gateway has written them (nobody gets
# in), and a reload (SIGHUP) whenever they change, so a newly registered car can connect seconds later.
set -eu
AUTH=/mosquitto/auth
# The gateway (user node, uid 1000, in its own container) writes the files with mode 0640; the folder
# hands its group, mosquitto's, to every file made in it (setgid), so the broker reads them and no
# other user of either container does.
GATEWAY_UID=${FLEET_GATEWAY_UID:-1000}
chown "$GATEWAY_UID:mosquitto" "$AUTH"
chmod 2750 "$AUTH"
for f in vehicles.passwd vehicles.acl services.passwd services.acl; do
  [ -e "$AUTH/$f" ] || : >"$AUTH/$f"
  chown "$GATEWAY_UID:mosquitto" "$AUTH/$f"
  chmod 0640 "$AUTH/$f"
done
# No car gets in until a gateway has subscribed again and rewritten the cars' accounts: Mosquitto 2.0
# does not restore shared subscriptions at a start, and what a car published before the gateway's
# subscription stood would reach nobody (cars keep unacknowledged samples and retry meanwhile).
: >"$AUTH/vehicles.passwd"
stamp() { cat "$AUTH"/*.passwd "$AUTH"/*.acl | md5sum; }

mosquitto -c /mosquitto/config/mosquitto.conf &
pid=$!
# SIGTERM: Mosquitto saves its persistent sessions (the gateway's queued telemetry) before it exits.
trap 'kill -TERM "$pid"; wait "$pid"; exit $?' TERM INT
# One reload once the files have settled (unchanged for a second), not one per file: a SIGHUP that
# arrives while Mosquitto is reloading is lost, and would leave it with half the new files.
last=$(stamp)
pending=
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
  now=$(stamp)
  if [ "$now" != "$last" ]; then
    last=$now
    pending=1
  elif [ -n "$pending" ]; then
    pending=
    kill -HUP "$pid"
  fi
done
wait "$pid"

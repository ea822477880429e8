#!/usr/bin/env bash
# Installs the servers the fleet tests start themselves (redis-server, and PostgreSQL's initdb and
# pg_ctl) from Debian when they are missing. Idempotent: a machine that has them is left alone.
# Called by .ci/run before `npm test` with POL_REQUIRE_SERVERS=1, so a missing server fails the run
# instead of skipping the fleet suites. The tests start their own servers on free loopback ports
# (runtime/store/test/servers.ts); nothing is started here.
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
have_postgres || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  echo "servers.sh: redis-server and postgresql already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "servers.sh: need root to install ${missing[*]} (apt-get); run as root or install them by hand" >&2
  exit 1
fi

echo "servers.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's packages start system-wide servers on the default ports; the tests need none of them.
if command -v service >/dev/null 2>&1; then
  service redis-server stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
fi
command -v redis-server >/dev/null && have_postgres
echo "servers.sh: installed ${missing[*]}"

#!/usr/bin/env bash
# Installs Debian's chromium for the console's browser tests (server/test/console.e2e.test.ts,
# driven by playwright-core with executablePath /usr/bin/chromium; no browser download) when it
# is missing. Run as root before `npm test` with POL_REQUIRE_BROWSER=1, so the suite fails
# instead of skipping if the browser still is not there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"

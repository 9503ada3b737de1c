#!/usr/bin/env bash
# `npm test`: every test — type check, unit tests, then end-to-end tests against the built app
# in Debian's Chromium (installed here when missing, since Playwright cannot download one).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "Chromium is missing: installing Debian's package (needs root)…"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

echo "== type check"
npm run -s typecheck
# The API tests (crash test included) start the real server, which serves the built app.
echo "== build"
npm run -s build
echo "== unit and API tests"
npx vitest run
echo "== end-to-end tests"
npx playwright test

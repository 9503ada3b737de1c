#!/usr/bin/env bash
# `npm test`: every test — type check, unit tests, then end-to-end tests against the built app
# in Debian's Chromium (installed here when missing, since Playwright cannot download one).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's packages the tests need: Chromium for the end-to-end tests, openssl to make the
# throwaway certificate of the inbound SMTP server's STARTTLS test.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Missing ${missing[*]}: installing Debian's packages (needs root)…"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
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

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

# The type check and the build each keep about one core busy: they run side by side, and the
# type check's report is printed when it ends (either failing fails the run).
echo "== type check and build"
typecheck_log="$(mktemp)"
npm run -s typecheck >"$typecheck_log" 2>&1 &
typecheck_pid=$!
# The API tests (crash test included) start the real server, which serves the built app.
build_rc=0; npm run -s build || build_rc=$?
typecheck_rc=0; wait "$typecheck_pid" || typecheck_rc=$?
echo "== type check"
cat "$typecheck_log"; rm -f "$typecheck_log"
[ "$build_rc" -eq 0 ] || { echo "The build failed (exit $build_rc)."; exit "$build_rc"; }
[ "$typecheck_rc" -eq 0 ] || { echo "The type check failed (exit $typecheck_rc)."; exit "$typecheck_rc"; }
echo "== unit and API tests"
npx vitest run
echo "== end-to-end tests"
npx playwright test

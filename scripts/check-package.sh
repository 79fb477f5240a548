#!/usr/bin/env bash
# Builds, then checks the package as a consumer gets it (`npm pack`): publint for the package.json
# fields and files, attw for type resolution of `.` and `./ky` under node10, node16 (CJS and ESM)
# and bundler. Exits non-zero on any problem.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsup --silent
# --strict: warnings (e.g. a `types` condition after `default`) fail too.
npx publint --strict
# Default profile "strict" includes node10: `typesVersions` in package.json is what makes
# `auth-fetch/ky` resolve there (node10 ignores `exports`).
npx attw --pack . --no-color --format table-flipped

# Both entries load through the exports map (the package's self-reference) in CJS and in ESM.
node -e "
const core = require('auth-fetch'), { withAuth } = require('auth-fetch/ky');
if (typeof core.createAuthFetch !== 'function' || typeof withAuth !== 'function') process.exit(1);"
node --input-type=module -e "
const core = await import('auth-fetch'), { withAuth } = await import('auth-fetch/ky');
if (typeof core.createAuthFetch !== 'function' || typeof withAuth !== 'function') process.exit(1);"
# ky is a peer of ./ky, for its types only: no built file may load it (or bundle it: tsup's `external`).
if grep -lE "from ['\"]ky['\"]|require\(['\"]ky['\"]\)" dist/*.js dist/*.cjs; then
  echo 'check:package: the files above load ky at run time' >&2
  exit 1
fi
echo 'check:package: publint, attw and CJS/ESM loading of . and ./ky, no run-time ky: all pass'

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

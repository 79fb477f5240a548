#!/usr/bin/env bash
# The whole test run, as README's test command and CI run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
echo "== typecheck"; npx tsc --noEmit
# ESLint with type information; zero warnings (no sequence or unused expressions, no floating promises).
echo "== lint"; npm run --silent lint
echo "== build"; npm run --silent build
# The example apps import the built package (exports → dist/), so their types are checked after the build.
echo "== apps typecheck"; npm run --silent typecheck:apps
# publint, attw and loading both entries in CJS and ESM (rebuilds itself).
echo "== package"; bash scripts/check-package.sh
# Prints the core's min+gzip size; fails if it grew past the ceiling.
echo "== size"; npx tsx scripts/size.ts
echo "== tests"; npx vitest run
# Chaos soak in real Chromium: 5 tabs, short tokens, failing refresh endpoint; fails on any must-be-zero figure.
echo "== soak"; SOAK_SECONDS=30 npm run soak

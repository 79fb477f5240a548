#!/usr/bin/env bash
# The whole test run, as README's test command and CI run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
echo "== typecheck"; npx tsc --noEmit
echo "== build"; npx tsup --silent
echo "== tests"; npx vitest run

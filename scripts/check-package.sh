#!/usr/bin/env bash
# Builds, then checks the package as a consumer gets it (`npm pack`): publint for the package.json
# fields and files, attw for type resolution of `.`, `./ky`, `./vue` and `./dpop` under node10, node16 (CJS and ESM)
# and bundler. Exits non-zero on any problem.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run --silent build
# --strict: warnings (e.g. a `types` condition after `default`) fail too.
npx publint --strict
# Default profile "strict" includes node10: `typesVersions` in package.json is what makes
# `auth-fetch-tabs/ky` and `auth-fetch-tabs/vue` resolve there (node10 ignores `exports`).
npx attw --pack . --no-color --format table-flipped

# attw checks resolution only; the compiler also reads the declarations. Consumers without
# skipLibCheck, as CommonJS (node16 and node10) and as ESM: no error in our .d.ts / .d.cts files.
consumer=$(mktemp -d)
trap 'rm -rf "$consumer"' EXIT
mkdir -p "$consumer/node_modules"
ln -s "$PWD" "$consumer/node_modules/auth-fetch-tabs"
ln -s "$PWD/node_modules/ky" "$consumer/node_modules/ky"
# vue's types import its @vue/* packages: link them all, as an install would place them.
ln -s "$PWD/node_modules/vue" "$consumer/node_modules/vue"
ln -s "$PWD/node_modules/@vue" "$consumer/node_modules/@vue"
ln -s "$PWD/node_modules/dpop" "$consumer/node_modules/dpop"
cat > "$consumer/use.ts" <<'TS'
import { createAuthFetch, isSessionEndedError } from 'auth-fetch-tabs';
import { withAuth } from 'auth-fetch-tabs/ky';
import { authFetchKey, onAuthEvent, useSession } from 'auth-fetch-tabs/vue';
import { createDpop, type Dpop } from 'auth-fetch-tabs/dpop';
export const dpop: (() => Dpop) = () => createDpop({ database: 'app' });
const authFetch = createAuthFetch({ refresh: '/auth/refresh', dpop: dpop() });
export const options = withAuth(authFetch, { prefixUrl: '/api' });
export const key = authFetchKey;
export function setup() {
  onAuthEvent((event) => event.type);
  return useSession(authFetch).value.status;
}
export const ended = isSessionEndedError(new Error('x'));
TS
for setting in 'commonjs node16 node16' 'commonjs commonjs node10' 'module node16 node16' 'module esnext bundler'; do
  read -r type module resolution <<<"$setting"
  echo "{\"type\": \"$type\"}" > "$consumer/package.json"
  cat > "$consumer/tsconfig.json" <<JSON
{ "files": ["use.ts"], "compilerOptions": { "strict": true, "noEmit": true, "skipLibCheck": false, "types": [],
  "lib": ["es2022", "dom"], "module": "$module", "moduleResolution": "$resolution", "ignoreDeprecations": "5.0" } }
JSON
  npx tsc -p "$consumer" ||
    { echo "check:package: type errors for a \"type\": \"$type\" consumer with moduleResolution $resolution" >&2; exit 1; }
done

# The entries load through the exports map (the package's self-reference) in CJS and in ESM.
node -e "
const core = require('auth-fetch-tabs'), { withAuth } = require('auth-fetch-tabs/ky'), { useSession } = require('auth-fetch-tabs/vue');
if (typeof core.createAuthFetch !== 'function' || typeof withAuth !== 'function' || typeof useSession !== 'function') process.exit(1);"
node --input-type=module -e "
const core = await import('auth-fetch-tabs'), { withAuth } = await import('auth-fetch-tabs/ky'), { useSession } = await import('auth-fetch-tabs/vue');
if (typeof core.createAuthFetch !== 'function' || typeof withAuth !== 'function' || typeof useSession !== 'function') process.exit(1);"
# ./dpop loads the ESM-only dpop package: from CJS through require(esm) (Node >= 20.19). Each makes a
# proof with a memory key, so the entry really runs, not only loads.
for loader in "require('auth-fetch-tabs/dpop')" "await import('auth-fetch-tabs/dpop')"; do
  node --input-type=module -e "
import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/');
const { createDpop } = $loader;
const headers = await createDpop({ database: false }).headers({ method: 'GET', url: 'https://api.example/x' });
if (!/^ey[\\w-]+\\.[\\w-]+\\.[\\w-]+$/.test(headers.dpop)) process.exit(1);" ||
    { echo "check:package: $loader does not make a proof" >&2; exit 1; }
done
# dpop is a peer of ./dpop only: the core never loads it, ./dpop loads it without bundling it.
if grep -lE "from ['\"]dpop['\"]|require\(['\"]dpop['\"]\)" dist/index.* dist/ky.* dist/vue.*; then
  echo 'check:package: the files above load dpop: only dist/dpop.* may' >&2
  exit 1
fi
if ! grep -qE "from ['\"]dpop['\"]" dist/dpop.js || ! grep -qE "require\(['\"]dpop['\"]\)" dist/dpop.cjs; then
  echo 'check:package: dist/dpop.js and dist/dpop.cjs must import dpop, not bundle it' >&2
  exit 1
fi
# vue is a peer of ./vue only: the core and ./ky never load it, ./vue loads it without bundling it.
if grep -lE "from ['\"]vue['\"]|require\(['\"]vue['\"]\)" dist/index.* dist/ky.*; then
  echo 'check:package: the files above load vue: only dist/vue.* may' >&2
  exit 1
fi
# ky is a peer of ./ky, for its types only: no built file may load it (or bundle it: tsup's `external`).
if grep -lE "from ['\"]ky['\"]|require\(['\"]ky['\"]\)" dist/*.js dist/*.cjs; then
  echo 'check:package: the files above load ky at run time' >&2
  exit 1
fi
# The licence travels with the package (npm always packs LICENSE) and is the one package.json names.
if ! npm pack --dry-run --json 2>/dev/null | grep -q '"path": "LICENSE"' ||
  [ "$(node -p "require('./package.json').license")" != MIT ] ||
  ! head -1 LICENSE | grep -qx 'MIT License' || ! grep -qx 'Copyright (c) 2026 auth-fetch contributors' LICENSE; then
  echo 'check:package: LICENSE missing from the package, or not the MIT licence of "auth-fetch contributors" that package.json names' >&2
  exit 1
fi
if ! grep -qE "from ['\"]vue['\"]" dist/vue.js || ! grep -qE "require\(['\"]vue['\"]\)" dist/vue.cjs; then
  echo 'check:package: dist/vue.js and dist/vue.cjs must import vue (the app'"'"'s copy), not bundle it' >&2
  exit 1
fi

echo 'check:package: LICENSE, publint, attw, consumer type-checks, CJS/ESM loading of ., ./ky, ./vue and ./dpop, no run-time ky, vue only in ./vue, dpop only in ./dpop: all pass'

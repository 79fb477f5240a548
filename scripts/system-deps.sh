#!/usr/bin/env bash
# Installs the real components the tests drive when this machine lacks them: Debian's Chromium for
# the browser tests, Debian's redis-server for the Redis store tests and redis-tools (redis-cli) to
# join the test's Redis Cluster. Never a downloaded browser.
set -euo pipefail
need=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "system-deps: installing ${need[*]} with apt-get (missing on this machine)"
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: not root; install ${need[*]} yourself (apt-get install -y ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "system-deps: installed ${need[*]}"

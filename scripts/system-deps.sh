#!/usr/bin/env bash
# The two system packages some tests and demos use for real, installed from Debian's archive when missing:
#   redis-server  @fiberkit/redis tests, the distributed demo and its bench start their own on a loopback port
#   chromium      the Timeline HTML is checked in a headless browser
# Nothing is downloaded by the tests themselves; without these they fail with a message naming this script.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: redis-server and chromium are installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]}; install them with your system's package manager" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "system-deps: installing ${missing[*]} with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real: nginx (the
# reverse-proxy tests of the user's guide), chromium (the browser tests),
# man-db (the man pages are rendered with man -l) and zsh (its completion
# script is parsed by zsh). Idempotent: does nothing when all are present.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-system-deps: need root to install ${need[*]}; the tests that need them will skip" >&2
    exit 0
fi
echo "install-system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null

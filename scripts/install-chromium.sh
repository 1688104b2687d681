#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (no browser download from elsewhere).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium
fi
/usr/bin/chromium --version

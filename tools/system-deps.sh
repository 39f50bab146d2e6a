#!/usr/bin/env bash
# Install the Debian packages `make test` and `make demo` need, when they are missing.
# Runs apt-get only when something is missing, and only as root (or with sudo).
set -euo pipefail

want=()
python3 -c 'import venv, ensurepip' 2>/dev/null || want+=(python3-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want+=(postgresql)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want+=(fonts-dejavu-core)
if [ "${NEED_BROWSER:-0}" = 1 ]; then
  [ -x /usr/bin/chromium ] || want+=(chromium)
  command -v systemd-analyze >/dev/null || want+=(systemd)
  command -v shellcheck >/dev/null || want+=(shellcheck)
fi

[ ${#want[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "missing Debian packages: ${want[*]} (install them: apt-get install ${want[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null

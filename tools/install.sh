#!/usr/bin/env bash
# Install or upgrade the attestation services on Raspberry Pi OS / Debian (run as root).
#
#   tools/install.sh                      install or upgrade: user, virtualenv, config, units,
#                                         database migrations; enables nothing new
#   tools/install.sh --enable kiosk,panel,browser --cabinet cab-1
#                                         also enable and (re)start those services and the
#                                         agent of each --cabinet this Pi owns
#   tools/install.sh --render-units DIR [--venv PATH] [--state PATH]
#                                         only write the unit files into DIR (used by the tests)
set -euo pipefail

PREFIX=/opt/attestation
VENV=$PREFIX/venv
STATE=/var/lib/attestation
CONF=/etc/attestation
SRC=$(cd "$(dirname "$0")/.." && pwd)
enable="" cabinets=() render=""

while [ $# -gt 0 ]; do
  case $1 in
    --enable) enable=$2; shift 2 ;;
    --cabinet) cabinets+=("$2"); shift 2 ;;
    --render-units) render=$2; shift 2 ;;
    --venv) VENV=$2; shift 2 ;;
    --state) STATE=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

render_units() {  # DIR
  mkdir -p "$1"
  for unit in "$SRC"/systemd/*.service "$SRC"/systemd/*.timer; do
    sed -e "s|@VENV@|$VENV|g" -e "s|@STATE@|$STATE|g" "$unit" > "$1/$(basename "$unit")"
  done
}

if [ -n "$render" ]; then render_units "$render"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }

echo "== Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3-venv fonts-dejavu-core chromium cage >/dev/null

echo "== service users"
getent group gpio >/dev/null || groupadd --system gpio
id attestation >/dev/null 2>&1 || useradd --system --home-dir "$STATE" --shell /usr/sbin/nologin \
  --groups dialout,gpio,video attestation
usermod -aG video attestation  # the kiosk's camera (also on an upgrade of an older install)
id attestation-screen >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin \
  --groups video,render,input attestation-screen 2>/dev/null || \
  useradd --system --create-home --shell /usr/sbin/nologin attestation-screen
install -d -o attestation -g attestation -m 0750 "$STATE"

echo "== virtualenv $VENV"
mkdir -p "$PREFIX"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "$SRC"
cp "$SRC/README.md" "$PREFIX/README.md"

echo "== configuration $CONF/attestation.env"
install -d -m 0750 -g attestation "$CONF"
if [ ! -f "$CONF/attestation.env" ]; then
  sed "s|^ATTESTATION_SECRET_KEY=$|ATTESTATION_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')|" \
    "$SRC/systemd/attestation.env.example" > "$CONF/attestation.env"
  chmod 0640 "$CONF/attestation.env"; chgrp attestation "$CONF/attestation.env"
  echo "   written; edit it (DATABASE_URL, ATTESTATION_KIOSK_TOKEN...) before enabling services"
fi
install -m 0644 "$SRC/systemd/99-attestation-rs485.rules" /etc/udev/rules.d/ && udevadm control --reload || true

echo "== audit key $CONF/audit.key and checkpoint directory"
if [ ! -f "$CONF/audit.key" ]; then
  "$VENV/bin/kioskctl" audit keygen "$CONF/audit.key"
  echo "   copy this same file to every other host that writes to this database"
fi
chgrp attestation "$CONF/audit.key" && chmod 0640 "$CONF/audit.key"
install -d -o attestation -g attestation -m 0750 /var/log/attestation

echo "== kioskctl wrapper (runs as the service user with the service's configuration)"
cat > /usr/local/bin/kioskctl <<WRAP
#!/bin/sh
set -a; . $CONF/attestation.env; set +a
cd $STATE && exec runuser -u attestation -- $VENV/bin/kioskctl "\$@"
WRAP
chmod 0755 /usr/local/bin/kioskctl

echo "== database migrations"
/usr/local/bin/kioskctl db upgrade

echo "== systemd units"
render_units /etc/systemd/system
systemctl daemon-reload
IFS=, read -r -a wanted <<< "$enable"
for name in "${wanted[@]}"; do
  case $name in
    kiosk|panel) systemctl enable --now "attestation-$name.service" ;;
    browser) systemctl enable --now attestation-kiosk-browser.service ;;
    "") ;;
    *) echo "unknown service $name (kiosk, panel, browser)" >&2; exit 2 ;;
  esac
done
for cab in "${cabinets[@]}"; do systemctl enable --now "attestation-agent@$cab.service"; done
# Backups run wherever the database is (the Pi with SQLite, or the PostgreSQL host).
[ -n "$enable" ] && systemctl enable --now attestation-backup.timer
# An upgrade restarts whatever was running, on the new code and schema.
systemctl try-restart 'attestation-*.service' || true
echo "done."

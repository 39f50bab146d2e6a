#!/usr/bin/env bash
# Install or upgrade the attestation services on Raspberry Pi OS / Debian (run as root).
#
#   tools/install.sh                      install or upgrade: user, virtualenv, config, units,
#                                         database migrations; enables nothing new
#   tools/install.sh --enable kiosk,panel,browser --cabinet cab-1
#                                         also enable and (re)start those services and the
#                                         agent of each --cabinet this Pi owns
#   tools/install.sh --appliance --records DEVICE [--format-records] [--rotate 0|90|180|270]
#                    [--serial PATH|none] --enable kiosk,browser --cabinet cab-1
#                                         also make this Pi a kiosk appliance (at the next boot):
#                                         read-only root, the records on DEVICE (a partition or
#                                         a USB stick, ext4), the hardware watchdog, the browser
#                                         under cage, a rotated screen and touch
#   tools/install.sh --maintenance        the root writable again from the next boot (to upgrade
#                                         or change the configuration); --appliance undoes it
#   tools/install.sh --root DIR ...       write every file into the tree DIR instead of / and run
#                                         nothing (no packages, users, mounts or services): tests
#   tools/install.sh --render-units DIR [--venv PATH] [--state PATH]
#                                         only write the unit files into DIR (used by the tests)
set -euo pipefail

PREFIX=/opt/attestation
VENV=$PREFIX/venv
STATE=/var/lib/attestation
CONF=/etc/attestation
LIBEXEC=/usr/local/lib/attestation
SRC=$(cd "$(dirname "$0")/.." && pwd)
enable="" cabinets=() render="" ROOT="" appliance=0 maintenance=0
records="" format_records=0 rotate=0 serial=""

while [ $# -gt 0 ]; do
  case $1 in
    --enable) enable=$2; shift 2 ;;
    --cabinet) cabinets+=("$2"); shift 2 ;;
    --render-units) render=$2; shift 2 ;;
    --venv) VENV=$2; shift 2 ;;
    --state) STATE=$2; shift 2 ;;
    --root) ROOT=$(cd "$2" && pwd); shift 2 ;;
    --appliance) appliance=1; shift ;;
    --maintenance) maintenance=1; shift ;;
    --records) records=$2; shift 2 ;;
    --format-records) format_records=1; shift ;;
    --rotate) rotate=$2; shift 2 ;;
    --serial) serial=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "error: $*" >&2; exit 2; }
live() { [ -z "$ROOT" ]; }  # acting on this machine, not writing a tree
skipped() { echo "   skipped with --root: $*"; }

# shellcheck source=tools/appliance.sh
. "$SRC/tools/appliance.sh"

render_units() {  # DIR
  mkdir -p "$1"
  for unit in "$SRC"/systemd/*.service "$SRC"/systemd/*.timer; do
    sed -e "s|@VENV@|$VENV|g" -e "s|@STATE@|$STATE|g" -e "s|@LIBEXEC@|$LIBEXEC|g" \
      "$unit" > "$1/$(basename "$unit")"
  done
}

if [ -n "$render" ]; then render_units "$render"; exit 0; fi
live && { [ "$(id -u)" = 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }; }
case $rotate in 0|90|180|270) ;; *) fail "--rotate $rotate: use 0, 90, 180 or 270" ;; esac
if [ "$appliance" = 1 ] && [ -z "$records" ]; then
  fail "--appliance needs --records DEVICE: the partition or USB stick that keeps the records"
fi

if [ "$maintenance" = 1 ]; then
  echo "== maintenance: the root filesystem writable from the next boot"
  overlay_off
  live && echo "reboot now (sudo reboot); afterwards upgrade or edit, then run --appliance again"
  exit 0
fi
if live && root_is_overlay; then
  fail "the root filesystem is read-only (the appliance's overlay): nothing written now would last." \
    "Run 'sudo tools/install.sh --maintenance', reboot, run this again, then --appliance."
fi

echo "== Debian packages"
if live; then
  export DEBIAN_FRONTEND=noninteractive
  packages=(python3-venv fonts-dejavu-core chromium cage)
  [ "$appliance" = 1 ] && packages+=(overlayroot wlr-randr e2fsprogs)
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
else skipped "apt-get install"; fi

echo "== service users"
if live; then
  getent group gpio >/dev/null || groupadd --system gpio
  id attestation >/dev/null 2>&1 || useradd --system --home-dir "$STATE" --shell /usr/sbin/nologin \
    --groups dialout,gpio,video attestation
  usermod -aG video attestation  # the kiosk's camera (also on an upgrade of an older install)
  id attestation-screen >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin \
    --groups video,render,input attestation-screen 2>/dev/null || \
    useradd --system --create-home --shell /usr/sbin/nologin attestation-screen
  install -d -o attestation -g attestation -m 0750 "$STATE"
else skipped "useradd attestation, attestation-screen"; install -d -m 0750 "$ROOT$STATE"; fi

echo "== virtualenv $VENV"
if live; then
  mkdir -p "$PREFIX"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "$SRC"
else skipped "pip install"; install -d "$ROOT$PREFIX"; fi
cp "$SRC/README.md" "$ROOT$PREFIX/README.md"

echo "== configuration $CONF/attestation.env"
install -d -m 0750 "$ROOT$CONF"
live && chgrp attestation "$CONF"
if [ ! -f "$ROOT$CONF/attestation.env" ]; then
  sed "s|^ATTESTATION_SECRET_KEY=$|ATTESTATION_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')|" \
    "$SRC/systemd/attestation.env.example" > "$ROOT$CONF/attestation.env"
  chmod 0640 "$ROOT$CONF/attestation.env"
  live && chgrp attestation "$CONF/attestation.env"
  echo "   written; edit it (DATABASE_URL, ATTESTATION_KIOSK_TOKEN...) before enabling services"
fi
install -d "$ROOT/etc/udev/rules.d"
install -m 0644 "$SRC/systemd/99-attestation-rs485.rules" "$ROOT/etc/udev/rules.d/"
live && { udevadm control --reload || true; }

echo "== audit key $CONF/audit.key and checkpoint directory"
if live; then
  if [ ! -f "$CONF/audit.key" ]; then
    "$VENV/bin/kioskctl" audit keygen "$CONF/audit.key"
    echo "   copy this same file to every other host that writes to this database"
  fi
  chgrp attestation "$CONF/audit.key" && chmod 0640 "$CONF/audit.key"
  install -d -o attestation -g attestation -m 0750 /var/log/attestation
else skipped "kioskctl audit keygen"; fi

echo "== kioskctl wrapper (runs as the service user with the service's configuration)"
install -d "$ROOT/usr/local/bin" "$ROOT$LIBEXEC"
cat > "$ROOT/usr/local/bin/kioskctl" <<WRAP
#!/bin/sh
set -a; . $CONF/attestation.env; set +a
cd $STATE && exec runuser -u attestation -- $VENV/bin/kioskctl "\$@"
WRAP
chmod 0755 "$ROOT/usr/local/bin/kioskctl"
install -m 0755 "$SRC/systemd/kiosk-screen" "$ROOT$LIBEXEC/kiosk-screen"

if [ "$appliance" = 1 ]; then
  echo "== appliance: records on $records, read-only root, watchdog, screen"
  appliance_records "$records" "$format_records"
  [ -n "$serial" ] || { [ ${#cabinets[@]} -gt 0 ] && serial=/dev/ttyRS485 || serial=none; }
  appliance_config "$rotate" "$serial" "$records"
  appliance_watchdog
  appliance_touch "$rotate"
fi

echo "== database migrations"
if live; then /usr/local/bin/kioskctl db upgrade; else skipped "kioskctl db upgrade"; fi

echo "== systemd units"
render_units "$ROOT/etc/systemd/system"
units=()
IFS=, read -r -a wanted <<< "$enable"
for name in "${wanted[@]}"; do
  case $name in
    kiosk|panel) units+=("attestation-$name.service") ;;
    browser) units+=(attestation-kiosk-browser.service) ;;
    "") ;;
    *) echo "unknown service $name (kiosk, panel, browser)" >&2; exit 2 ;;
  esac
done
for cab in "${cabinets[@]}"; do units+=("attestation-agent@$cab.service"); done
# Backups run wherever the database is (the Pi with SQLite, or the PostgreSQL host).
[ -n "$enable" ] && units+=(attestation-backup.timer)
if live; then
  systemctl daemon-reload
  for unit in "${units[@]}"; do systemctl enable --now "$unit"; done
  # An upgrade restarts whatever was running, on the new code and schema.
  systemctl try-restart 'attestation-*.service' || true
elif [ ${#units[@]} -gt 0 ]; then
  systemctl --root="$ROOT" enable "${units[@]}"
fi
[ "$appliance" = 1 ] && appliance_services "${units[@]}"

if [ "$appliance" = 1 ]; then
  # Last: once the root is read-only nothing above could be written any more.
  overlay_on
  live && echo "reboot now (sudo reboot): the root is read-only from then on; check with 'kioskctl doctor'"
fi
echo "done."

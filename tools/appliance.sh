# shellcheck shell=bash
# The appliance steps of tools/install.sh (sourced by it): every file is written under
# $ROOT (empty: this machine), every action on the running system is guarded by `live`.
#
# What stays writable on the appliance, and where it lives:
#   $STATE (/var/lib/attestation) on the records device: the database, backups/, log/
#     (the audit checkpoints) and journal/ (bind-mounted on /var/log/journal);
#   everything else is the read-only SD card under a RAM overlay: written, then gone at
#     the next power cut (the browser's profile, /tmp, a stray edit of /etc).

BLOCK_BEGIN="# >>> attestation appliance (tools/install.sh --appliance) >>>"
BLOCK_END="# <<< attestation appliance <<<"
OVERLAY_TOKEN="overlayroot=tmpfs:recurse=0"
# ext4 with its data journaled: what was written without fsync (the journal, audit
# checkpoints) survives a cut too; a failing device turns read-only rather than worse;
# nofail: a missing stick still boots to a console where `kioskctl doctor` says why.
RECORDS_OPTIONS="defaults,noatime,data=journal,errors=remount-ro,nofail,x-systemd.device-timeout=30s"
# The BCM2835/2711 watchdog's longest timeout is 15 s; systemd pings it every half of that.
WATCHDOG_SEC=15s

boot_dir() {  # the FAT partition with cmdline.txt: /boot/firmware (Bookworm on), /boot before
  local d
  for d in "$ROOT/boot/firmware" "$ROOT/boot"; do
    [ -f "$d/cmdline.txt" ] && { echo "$d"; return; }
  done
  fail "no cmdline.txt under $ROOT/boot/firmware or $ROOT/boot: is this Raspberry Pi OS?"
}

root_is_overlay() {
  grep -q "overlayroot=tmpfs" /proc/cmdline && [ "$(findmnt -n -o FSTYPE /)" = overlay ]
}

set_setting() {  # FILE KEY VALUE: the line KEY=... replaced, or appended when missing
  if grep -q "^$2=" "$1"; then
    sed -i "s|^$2=.*|$2=$3|" "$1"
  else
    echo "$2=$3" >> "$1"
  fi
}

without_block() {  # FILE: its lines, less the block an earlier run wrote
  awk -v b="$BLOCK_BEGIN" -v e="$BLOCK_END" '$0 == b {skip = 1} !skip {print} $0 == e {skip = 0}' "$1"
}

replace_block() {  # FILE: the file without our block, then the block read from stdin
  local tmp
  tmp=$(mktemp)
  [ -f "$1" ] && without_block "$1" > "$tmp"
  { echo "$BLOCK_BEGIN"; cat; echo "$BLOCK_END"; } >> "$tmp"
  cat "$tmp" > "$1"
  rm -f "$tmp"
}

records_spec() {  # DEVICE -> what fstab names it by (a UUID: /dev/sdX changes with the USB port)
  case $1 in
    UUID=*|LABEL=*|PARTUUID=*) echo "$1" ;;
    *) if live; then echo "UUID=$(blkid -s UUID -o value "$1")"; else echo "$1"; fi ;;
  esac
}

prepare_records_device() {  # DEVICE FORMAT: ext4 on it, the records already on the SD card copied on
  local dev=$1 fstype mnt
  dev=$(blkid -o device -t "$1" 2>/dev/null || echo "$1")
  [ -b "$dev" ] || fail "--records $1: no such block device (lsblk lists them)"
  fstype=$(blkid -s TYPE -o value "$dev" || true)
  if [ -z "$fstype" ]; then
    [ "$2" = 1 ] || fail "$dev holds no filesystem: add --format-records to make it ext4"
    mkfs.ext4 -q -L ATTESTATION "$dev"
  elif [ "$fstype" != ext4 ]; then
    fail "$dev holds $fstype, the records need ext4 (a journal survives power cuts)." \
      "Copy off what it holds, 'wipefs -a $dev', then run again with --format-records"
  fi
  mountpoint -q "$STATE" && return 0
  systemctl stop 'attestation-*' 2>/dev/null || true
  mnt=$(mktemp -d)
  mount "$dev" "$mnt"
  # Never over what the device already holds (a stick moved from another Pi keeps its records).
  cp -a -n "$STATE/." "$mnt/"
  install -d -o attestation -g attestation -m 0750 "$mnt" "$mnt/log" "$mnt/backups"
  [ -d /var/log/attestation ] && cp -a -n /var/log/attestation/. "$mnt/log/"
  install -d -g systemd-journal -m 2755 "$mnt/journal"
  umount "$mnt" && rmdir "$mnt"
}

appliance_records() {  # DEVICE FORMAT
  local spec line
  live && prepare_records_device "$1" "$2"
  spec=$(records_spec "$1")
  install -d "$ROOT/etc"
  touch "$ROOT/etc/fstab"
  line=$(without_block "$ROOT/etc/fstab" | awk -v p="$STATE" '$2 == p')
  [ -z "$line" ] || fail "/etc/fstab already mounts something on $STATE: '$line'; remove it first"
  replace_block "$ROOT/etc/fstab" <<FSTAB
$spec $STATE ext4 $RECORDS_OPTIONS 0 2
$STATE/journal /var/log/journal none bind,nofail,x-systemd.requires-mounts-for=$STATE 0 0
FSTAB
  if ! live; then install -d -m 0750 "$ROOT$STATE/log" "$ROOT$STATE/backups" "$ROOT$STATE/journal"; fi
  install -d "$ROOT/etc/systemd/journald.conf.d"
  cat > "$ROOT/etc/systemd/journald.conf.d/attestation.conf" <<'CONF'
# The journal on the records device (bind-mounted on /var/log/journal): what happened
# before a power cut is there for the technician afterwards.
[Journal]
Storage=persistent
SystemMaxUse=200M
CONF
  if live; then
    systemctl daemon-reload
    mountpoint -q "$STATE" || mount "$STATE"
    mountpoint -q /var/log/journal || mount /var/log/journal || true
  fi
}

appliance_config() {  # ROTATE SERIAL RECORDS
  local env="$ROOT$CONF/attestation.env"
  set_setting "$env" ATTESTATION_RECORDS_DIR "$STATE"
  set_setting "$env" ATTESTATION_AUDIT_CHECKPOINT_FILE "$STATE/log/audit-checkpoints.jsonl"
  set_setting "$env" ATTESTATION_BACKUP_DIR "$STATE/backups"
  cat > "$ROOT$CONF/appliance.env" <<CONF
# Written by tools/install.sh --appliance: what this Pi is, for kioskctl doctor and the browser.
ATTESTATION_APPLIANCE_RECORDS=$(records_spec "$3")
ATTESTATION_APPLIANCE_SERIAL=$2
ATTESTATION_SCREEN_ROTATE=$1
CONF
  chmod 0644 "$ROOT$CONF/appliance.env"
}

appliance_services() {  # UNIT...
  set_setting "$ROOT$CONF/appliance.env" ATTESTATION_APPLIANCE_SERVICES "\"$*\""
  case " $* " in
    *" attestation-kiosk-browser.service "*)
      # Raspberry Pi OS Lite boots to multi-user.target; the browser is wanted by graphical.target.
      if live; then systemctl set-default graphical.target
      else ln -sfn /lib/systemd/system/graphical.target "$ROOT/etc/systemd/system/default.target"; fi ;;
  esac
}

appliance_watchdog() {
  install -d "$ROOT/etc/systemd/system.conf.d"
  cat > "$ROOT/etc/systemd/system.conf.d/attestation-watchdog.conf" <<CONF
# The hardware watchdog, kept alive by systemd (PID 1) itself: a hung kernel or PID 1
# reboots the Pi after $WATCHDOG_SEC.  It cannot loop on a slow boot: PID 1 arms it when
# it starts and pings it every half period from then on, however long the boot takes
# (an fsck of the records device included); a failing service is restarted by its own
# WatchdogSec=, never by a reboot.  15 s is the longest the BCM2835/2711 timer counts.
[Manager]
RuntimeWatchdogSec=$WATCHDOG_SEC
RebootWatchdogSec=2min
CONF
  local config
  config="$(boot_dir)/config.txt"
  touch "$config"
  grep -q '^dtparam=watchdog=on' "$config" || echo 'dtparam=watchdog=on' >> "$config"
}

appliance_touch() {  # ROTATE: the touch panel turned with the picture (libinput's matrices)
  local rules="$ROOT/etc/udev/rules.d/98-attestation-touch.rules" matrix
  case $1 in
    0) rm -f "$rules"; return 0 ;;
    90) matrix="0 -1 1 1 0 0" ;;
    180) matrix="-1 0 1 0 -1 1" ;;
    270) matrix="0 1 0 -1 0 1" ;;
  esac
  cat > "$rules" <<RULE
# Written by tools/install.sh --appliance --rotate $1: the screen is turned by $1 degrees
# (cage's output transform, ATTESTATION_SCREEN_ROTATE), and so is every touchscreen.
ACTION=="add|change", KERNEL=="event[0-9]*", ENV{ID_INPUT_TOUCHSCREEN}=="1", ENV{LIBINPUT_CALIBRATION_MATRIX}="$matrix"
RULE
  if live; then { udevadm control --reload && udevadm trigger --subsystem-match=input; } || true; fi
}

cmdline_tokens() {  # FILE: one token a line, without overlayroot= and consoleblank=
  tr ' ' '\n' < "$1" | grep -v -e '^overlayroot=' -e '^consoleblank=' -e '^$' || true
}

overlay_on() {
  local boot cmdline fstab="$ROOT/etc/fstab"
  boot=$(boot_dir)
  cmdline=$( { echo "$OVERLAY_TOKEN"; cmdline_tokens "$boot/cmdline.txt"; echo consoleblank=0; } | paste -sd' ')
  echo "$cmdline" > "$boot/cmdline.txt"
  grep -q '^auto_initramfs=1' "$boot/config.txt" || echo 'auto_initramfs=1' >> "$boot/config.txt"
  # The boot partition read-only too: a FAT file system is the first casualty of a power cut.
  awk -v b="${boot#"$ROOT"}" '$2 == b && $4 !~ /(^|,)ro(,|$)/ {$4 = $4 ",ro"} {print}' "$fstab" > "$fstab.new"
  cat "$fstab.new" > "$fstab" && rm -f "$fstab.new"
}

overlay_off() {
  local boot cmdline fstab="$ROOT/etc/fstab"
  boot=$(boot_dir)
  if live && findmnt -n -o OPTIONS "${boot#"$ROOT"}" | grep -qE '(^|,)ro(,|$)'; then
    mount -o remount,rw "${boot#"$ROOT"}"
  fi
  cmdline=$( { cmdline_tokens "$boot/cmdline.txt"; echo consoleblank=0; } | paste -sd' ')
  echo "$cmdline" > "$boot/cmdline.txt"
  if live && root_is_overlay; then
    # /etc/fstab of the SD card itself, under the overlay: overlayroot-chroot writes there.
    overlayroot-chroot sed -i -E "s#^(\S+\s+${boot#"$ROOT"}\s+\S+\s+\S*),ro(\s)#\1\2#" /etc/fstab
  else
    sed -i -E "s#^(\S+\s+${boot#"$ROOT"}\s+\S+\s+\S*),ro(\s)#\1\2#" "$fstab"
  fi
}

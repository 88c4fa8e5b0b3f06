#!/usr/bin/env bash
# Harvest the real log output of the MTProto Telegram clients.
#
#   scripts/harvest/mtproto/run.sh [OUTDIR]
#
# Creates one virtualenv per library under $HARVEST_VENVS (default
# /work/harvest-venvs, outside the repository), installs the pinned versions
# below, runs every driver x scenario against the loopback fault server
# (127.0.0.1 only), then trims the logs and labels their records into
# tests/data/harvest/mtproto/. Override a version with e.g. PYROGRAM_VERSION=2.0.106.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENVS="${HARVEST_VENVS:-/work/harvest-venvs}"
RAW="${1:-/tmp/logdedup-harvest-mtproto}"
DEST="$REPO/tests/data/harvest/mtproto"
PY="${PYTHON:-python3}"

declare -A PKG=(
  [pyrogram]="pyrogram==${PYROGRAM_VERSION:-2.0.106}"
  [pyrofork]="pyrofork==${PYROFORK_VERSION:-2.3.69}"
  [kurigram]="kurigram==${KURIGRAM_VERSION:-2.2.26}"
  [hydrogram]="hydrogram==${HYDROGRAM_VERSION:-0.2.0}"
  [telethon]="telethon==${TELETHON_VERSION:-1.45.0}"
)
SCENARIOS="wobble refused accept-hang reset-on-accept garbage auth-unregistered auth-in-handler"

mkdir -p "$VENVS" "$RAW"
for lib in "${!PKG[@]}"; do
  if [ ! -x "$VENVS/$lib/bin/python" ]; then "$PY" -m venv "$VENVS/$lib"; fi
  "$VENVS/$lib/bin/pip" install -q "${PKG[$lib]}"
done

export FAULT_SERVER_LOG="$RAW/fault-server.log"
pids=()
for lib in pyrogram pyrofork kurigram hydrogram telethon; do
  for s in $SCENARIOS; do
    if [ "$lib" = telethon ]; then
      cmd=("$VENVS/$lib/bin/python" "$HERE/drive_telethon.py" --scenario "$s" --out "$RAW/$lib-$s")
    else
      cmd=("$VENVS/$lib/bin/python" "$HERE/drive_pyrogram.py" --lib "$lib" --scenario "$s" --out "$RAW/$lib-$s")
    fi
    # every run stops by itself; the timeout is a backstop
    timeout -k 5 240 "${cmd[@]}" >"$RAW/$lib-$s.out" 2>&1 &
    pids+=($!)
  done
done
for p in "${pids[@]}"; do wait "$p" || true; done

# versions actually installed, for the README and the labels
for lib in "${!PKG[@]}"; do
  echo "$lib $("$VENVS/$lib/bin/pip" show "$( [ "$lib" = kurigram ] && echo kurigram || echo "$lib")" | sed -n 's/^Version: //p')"
done | sort >"$RAW/VERSIONS"

"$PY" "$HERE/trim_and_label.py" "$RAW" "$DEST"

#!/usr/bin/env bash
# Harvest the real log output of the MTProto Telegram clients, in every
# version below and every layout of scripts/harvest/layouts.py.
#
#   scripts/harvest/mtproto/run.sh [RAWDIR]
#
# Creates one virtualenv per library version under $HARVEST_VENVS (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/logdedup/harvest/mtproto, outside the
# repository), installs the pinned version and the layouts' packages, runs
# every driver x scenario against the loopback fault server (127.0.0.1 only),
# plus one run of `wobble` per version with no logging configured at all, then
# labels and trims the logs into tests/data/layouts/mtproto/ (label.py).
#
# VERSIONS="pyrogram==2.0.106 telethon==1.45.0" harvests only those;
# SCENARIOS="wobble flood" only those; JOBS=N runs N drivers at once;
# HARVEST_DEST=DIR writes the labeled logs there instead (label.py empties
# it first: a partial harvest belongs elsewhere). Then TEMPLATES.md is
# rewritten from them, and the emulated `bare` layout is compared with the
# runs that configured no logging (compare_bare.py).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENVS="${HARVEST_VENVS:-${LOGDEDUP_HARVEST_VENVS:-${XDG_CACHE_HOME:-$HOME/.cache}/logdedup/harvest}/mtproto}"
RAW="${1:-${TMPDIR:-/tmp}/logdedup-harvest-mtproto}"
DEST="${HARVEST_DEST:-$REPO/tests/data/layouts/mtproto}"
PY="${PYTHON:-python3}"
JOBS="${JOBS:-10}"

# pyrofork: 2.3.x is still the `pyrogram` package (loggers pyrogram.*); the
# "Full rebrand" on its dev/2.4.x branch renamed it `pyrofork` (loggers
# pyrofork.*), on PyPI as the pre-release 2.4.0rc1.
VERSIONS="${VERSIONS:-pyrogram==1.4.16 pyrogram==2.0.106 pyrofork==2.3.69 pyrofork==2.4.0rc1 kurigram==2.2.26 hydrogram==0.2.0 telethon==1.24.0 telethon==1.36.0 telethon==1.45.0}"
SCENARIOS="${SCENARIOS:-wobble refused accept-hang reset-on-accept garbage auth-unregistered auth-in-handler flood clock authgen}"
PINS="$("$PY" "$HERE/../layouts.py" --pins)"

mkdir -p "$VENVS" "$RAW"
for spec in $VERSIONS; do
  dir="$VENVS/${spec/==/-}"
  if [ ! -x "$dir/bin/python" ]; then "$PY" -m venv "$dir"; fi
  # shellcheck disable=SC2086  # PINS is a list of requirements
  "$dir/bin/pip" install -q --disable-pip-version-check "$spec" $PINS
done

export FAULT_SERVER_LOG="$RAW/fault-server.log"
jobs_file="$RAW/jobs"
: >"$jobs_file"
for spec in $VERSIONS; do
  lib="${spec%%==*}"
  ver="${spec#*==}"
  py="$VENVS/$lib-$ver/bin/python"
  if [ "$lib" = telethon ]; then drv=("$HERE/drive_telethon.py"); else drv=("$HERE/drive_pyrogram.py" --lib "$lib"); fi
  for s in $SCENARIOS; do
    echo "$py ${drv[*]} --scenario $s --out $RAW/$lib-$ver.$s >$RAW/$lib-$ver.$s.out 2>&1" >>"$jobs_file"
  done
  # no logging configured at all: what `python3 bot.py 2>&1` shows
  echo "$py ${drv[*]} --scenario wobble --out /nonexistent --no-capture >$RAW/$lib-$ver.wobble.nocfg.raw 2>&1" >>"$jobs_file"
done
# every run stops by itself; the timeout is a backstop
xargs -P "$JOBS" -I{} -d '\n' timeout -k 5 300 bash -c '{}' <"$jobs_file" || true

"$PY" "$HERE/label.py" "$RAW" "$DEST"
"$PY" "$HERE/templates.py" "$DEST" "$VENVS" >"${TEMPLATES_OUT:-$HERE/TEMPLATES.md}"
"$PY" "$HERE/compare_bare.py" "$RAW" "$DEST"

#!/usr/bin/env bash
# Harvest real log output of the HTTP-based bot libraries.
#
#   scripts/harvest/http/run.sh [LIB...]       LIB: aiogram ptb22 ptb21 urllib3 uvicorn
#
# Creates one virtualenv per library under $VENVS (default /work/harvest-venvs,
# outside the repository), installs the pinned versions below, runs every
# scenario of the library's driver in both logging layouts against fault
# servers on 127.0.0.1, keeps the raw logs in $RAW, and writes the trimmed logs
# and their labels to tests/data/harvest/http/.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENVS="${VENVS:-/work/harvest-venvs}"
RAW="${RAW:-/tmp/harvest-http-raw}"
OUT="$REPO/tests/data/harvest/http"
PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-8}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-25}"

# Pinned versions: bump here and rerun to harvest a new release.
declare -A PINS=(
  [aiogram]="aiogram==3.31.0"
  [ptb22]="python-telegram-bot==22.8"
  [ptb21]="python-telegram-bot==21.11.1"
  [urllib3]="requests==2.34.2 urllib3==2.8.0"
  [uvicorn]="uvicorn==0.54.0"
)
declare -A DRIVER=(
  [aiogram]=drive_aiogram.py [ptb22]=drive_ptb.py [ptb21]=drive_ptb.py
  [urllib3]=drive_urllib3.py [uvicorn]=drive_uvicorn.py
)

libs=("$@")
[ ${#libs[@]} -eq 0 ] && libs=(aiogram ptb22 ptb21 urllib3 uvicorn)

mkdir -p "$VENVS" "$RAW" "$OUT"
for lib in "${libs[@]}"; do
  venv="$VENVS/$lib"
  if [ ! -x "$venv/bin/python" ]; then
    "$PYTHON" -m venv "$venv"
  fi
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q ${PINS[$lib]}
  "$venv/bin/pip" freeze > "$RAW/$lib.versions"

  driver="$HERE/${DRIVER[$lib]}"
  mkdir -p "$RAW/$lib" && rm -f "$RAW/$lib"/*.log
  # Every scenario x layout is one bounded run; they mostly sleep, so run
  # several at once. `timeout` is the backstop: each driver stops by itself.
  scenarios=$(cd "$HERE" && "$venv/bin/python" "$driver" --list)
  formats="basic asctime"
  [ "$lib" = uvicorn ] && formats="basic asctime uvicorn"
  for sc in $scenarios; do
    for fmt in $formats; do
      echo "$sc $fmt"
    done
  done | xargs -P "$JOBS" -L 1 bash -c '
    cd "'"$HERE"'" && timeout -k 5 $(('"$SECONDS_PER_RUN"' + 40)) \
      "'"$venv"'/bin/python" "'"$driver"'" "$0" "$1" '"$SECONDS_PER_RUN"' \
      > "'"$RAW/$lib"'/$0.$1.log" 2>&1 || true'

  # Trim, concatenate per layout, label. The caps keep the committed logs
  # small (see trim.py); ptb21 keeps one layout only.
  case $lib in
    aiogram) caps="--cap 6 --cap-traceback 2" ;;
    urllib3|uvicorn) caps="--cap 4 --cap-traceback 1" ;;
    *) caps="--cap 3 --cap-traceback 1" ;;
  esac
  [ "$lib" = ptb22 ] && caps_basic="--cap 2 --cap-traceback 1" || caps_basic="$caps"
  [ "$lib" = ptb21 ] && formats="asctime"
  for fmt in $formats; do
    c="$caps"; [ "$fmt" = basic ] && c="$caps_basic"
    # shellcheck disable=SC2086
    "$PYTHON" "$HERE/trim.py" --lib "$lib" $c --versions "$RAW/$lib.versions" \
      "$RAW/$lib"/*."$fmt".log > "$OUT/$lib.$fmt.log"
    "$PYTHON" "$HERE/label.py" "$OUT/$lib.$fmt.log" > "$OUT/$lib.$fmt.labels"
  done
done

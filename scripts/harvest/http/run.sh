#!/usr/bin/env bash
# Harvest real log output of the HTTP-based bot libraries, several versions each.
#
#   scripts/harvest/http/run.sh [VERSION...]      VERSION: a key of PINS below, e.g. ptb-13.15
#
# Makes one virtualenv per version under $HARVEST_VENVS (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/logdedup/harvest, outside the repository),
# installs the pins below, runs every scenario of the version's driver against
# fault servers on 127.0.0.1 and keeps the raw output in $RAW:
#
#   MODE=layouts (default)  one run per scenario through the shared capture
#                           (scripts/harvest/layouts.py): a file per layout + .records;
#                           then build.py labels and trims them into tests/data/layouts/http/
#   MODE=basic              one run per scenario, logging.basicConfig(DEBUG) on
#                           standard error, plus a JSON sidecar of the records
#                           (what TEMPLATES.md is made from: templates.py)
#   always                  a true no-configuration run (no logging set up at all)
#                           of the main scenarios: SCENARIO.noconfig.log
#   uvicorn                 also its own default layout: SCENARIO.uvicorn.log
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENVS="${HARVEST_VENVS:-${XDG_CACHE_HOME:-$HOME/.cache}/logdedup/harvest}"
RAW="${RAW:-${TMPDIR:-/tmp}/harvest-http-raw}"
PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-6}"
# ONLY="reset close": rerun these scenarios alone, keeping the other raw files
ONLY="${ONLY:-}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-25}"
MODE="${MODE:-layouts}"
# the loggers and layouts packages every venv gets (the layouts need them)
LAYOUT_PKGS="loguru==0.7.3 rich==15.0.0 python-json-logger==4.2.0 structlog==26.1.0"

# Pinned versions: add a key (LIB-VERSION) to harvest another release.
declare -A PINS=(
  [aiogram-2.25.2]="aiogram==2.25.2"
  [aiogram-3.31.0]="aiogram==3.31.0"
  [ptb-13.15]="python-telegram-bot==13.15"
  [ptb-20.0]="python-telegram-bot==20.0"
  [ptb-20.8]="python-telegram-bot==20.8"
  [ptb-22.8]="python-telegram-bot==22.8"
  [urllib3-1.26.18]="requests==2.28.2 urllib3==1.26.18"
  [urllib3-2.8.0]="requests==2.34.2 urllib3==2.8.0"
  [uvicorn-0.17.6]="uvicorn==0.17.6 h11==0.13.0"
  [uvicorn-0.54.0]="uvicorn==0.54.0"
)
driver_of() {
  case $1 in
    aiogram-2.*) echo drive_aiogram2.py ;;
    aiogram-*) echo drive_aiogram.py ;;
    ptb-13.*) echo drive_ptb13.py ;;
    ptb-*) echo drive_ptb.py ;;
    urllib3-*) echo drive_urllib3.py ;;
    uvicorn-*) echo drive_uvicorn.py ;;
  esac
}
# the scenarios also run with no logging configured at all
NOCONFIG="refused reset e502 e502html hang handler_error e401_poll e409 unclosed handler_flood
          reset_recovers e502_recovers scanners token_webhook"

versions=("$@")
[ ${#versions[@]} -eq 0 ] && mapfile -t versions < <(printf '%s\n' "${!PINS[@]}" | sort)

mkdir -p "$VENVS" "$RAW"
jobs_file="$RAW/jobs.txt"
: > "$jobs_file"
for v in "${versions[@]}"; do
  venv="$VENVS/$v"
  if [ ! -x "$venv/bin/python" ]; then
    "$PYTHON" -m venv "$venv"
  fi
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q ${PINS[$v]} $LAYOUT_PKGS
  mkdir -p "$RAW/$v"
  [ -z "$ONLY" ] && rm -f "$RAW/$v"/*
  "$venv/bin/pip" freeze > "$RAW/$v/versions.txt"
  driver="$(driver_of "$v")"
  for sc in $(cd "$HERE" && "$venv/bin/python" "$driver" --list); do
    if [ -n "$ONLY" ]; then
      case " $ONLY " in *" $sc "*) rm -f "$RAW/$v/$sc".* ;; *) continue ;; esac
    fi
    modes="$MODE"
    case " $NOCONFIG " in *" $sc "*) modes="$modes noconfig" ;; esac
    case $v in uvicorn-*) modes="$modes uvicorn" ;; esac
    for m in $modes; do echo "$v $driver $sc $m" >> "$jobs_file"; done
  done
done

# Every run is bounded (each driver stops by itself after SECONDS_PER_RUN;
# `timeout` is only the backstop, generous: importing aiogram 3 alone takes
# seconds of CPU, and a loaded machine stretches that) and mostly sleeps, so
# several run at once. A run that hit the backstop is listed in exits.txt:
# rerun it with ONLY=SCENARIO.
export HERE RAW VENVS SECONDS_PER_RUN
xargs -P "$JOBS" -L 1 bash -c '
  v=$0 driver=$1 sc=$2 m=$3
  cd "$HERE" && HARVEST_SIDECAR=1 timeout -k 5 $((SECONDS_PER_RUN + 150)) \
    "$VENVS/$v/bin/python" "$driver" "$sc" "$RAW/$v/$sc" "$m" "$SECONDS_PER_RUN" \
    > "$RAW/$v/$sc.$m.out" 2>&1 || echo "$v $sc $m: exit $?" >> "$RAW/$v/exits.txt"
' < "$jobs_file"
echo "raw output in $RAW ($(wc -l < "$jobs_file") runs)"

if [ "$MODE" = layouts ]; then
  "$PYTHON" "$HERE/build.py" "$RAW" "$REPO/tests/data/layouts/http" "${versions[@]}"
fi

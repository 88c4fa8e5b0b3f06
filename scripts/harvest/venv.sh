#!/usr/bin/env bash
# Create (or reuse) a virtualenv for a harvest script, outside the repository.
#
#   scripts/harvest/venv.sh NAME [PIN...]      e.g. venv.sh layouts loguru==0.7.3 rich==15.0.0
#
# The venv lives in $LOGDEDUP_HARVEST_VENVS/NAME (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/logdedup/harvest/NAME). The pins are
# installed when they are not already; the venv's python path is printed on
# the last line of standard output, so a caller can do
#   PY=$(scripts/harvest/venv.sh layouts loguru==0.7.3 | tail -n 1)
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 NAME [PIN...]" >&2
  exit 2
fi
name="$1"
shift
base="${LOGDEDUP_HARVEST_VENVS:-${XDG_CACHE_HOME:-$HOME/.cache}/logdedup/harvest}"
dir="$base/$name"
py="${PYTHON:-python3}"
mkdir -p "$base"
if [ ! -x "$dir/bin/python" ]; then
  "$py" -m venv "$dir" >&2
fi
if [ $# -gt 0 ]; then
  # pip compares the pins with what is installed: a second run is quick.
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2
fi
echo "$dir/bin/python"

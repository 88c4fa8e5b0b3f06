#!/usr/bin/env bash
# Regenerate tests/data/layouts-demo/: the demo driver's records in every
# layout, and the basic and asctime layouts behind every collector prefix.
#
#   scripts/harvest/make_layout_samples.sh
#
# The demo runs from a fixed directory (/tmp/logdedup-layouts-demo/bot) so
# that the tracebacks in the samples do not name the checkout's path, and
# with the layouts venv (created here with the pinned packages).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DEST="$REPO/tests/data/layouts-demo"
PY=$("$HERE/venv.sh" layouts $(python3 -c "import sys; sys.path.insert(0, '$HERE'); import layouts; print(' '.join(layouts.PINS))") | tail -n 1)
RUN=/tmp/logdedup-layouts-demo/bot
rm -rf "$RUN"
mkdir -p "$RUN"
cp "$HERE/layouts.py" "$HERE/demo_layouts.py" "$HERE/prefix.py" "$RUN/"
rm -rf "$DEST"
mkdir -p "$DEST"
# The demo ends in an uncaught crash (exit status 1) on purpose.
(cd "$RUN" && env -u COLUMNS PYTHONHASHSEED=0 "$PY" demo_layouts.py "$DEST/demo" --all) || [ $? -eq 1 ]
for layout in basic asctime; do
  for kind in compose compose-v1 docker-ts journald kubectl; do
    python3 "$HERE/prefix.py" "$kind" "$DEST/demo.$layout.log"
  done
done
export HARVEST_DIR="$HERE"
# Per-line labels from the demo's record labels.
python3 - "$DEST" <<'PY'
import glob, os, sys
sys.path.insert(0, os.environ.get("HARVEST_DIR", "."))
import demo_layouts, lines
for log in sorted(glob.glob(os.path.join(sys.argv[1], "*.log"))):
    lines.write_labels(log, demo_layouts.label)
PY
ls "$DEST"

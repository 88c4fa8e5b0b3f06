#!/usr/bin/env bash
# Builds the Python wheel (maturin, bindings = "bin"), installs it into a
# fresh virtualenv, and runs smoke tests through the installed `logdedup`;
# then does the same for `pip install .` from the source tree, as a user
# without a published wheel would. Needs only Rust, Python 3 and pip (and
# the package index for maturin). Prints the time each step took.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/logdedup-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

started=$(date +%s)
step() { echo "== $1 ($(($(date +%s) - started))s)"; }

step "maturin into a build virtualenv"
"$python" -m venv "$work/build"
"$work/build/bin/pip" install --quiet 'maturin>=1.5,<2'

step "maturin build --release"
"$work/build/bin/maturin" build --release --quiet --manifest-path "$root/Cargo.toml" --out "$work/dist"
wheel=$(ls "$work"/dist/logdedup-*.whl)
echo "built $(basename "$wheel")"

# Smoke tests through the `logdedup` found on PATH in virtualenv $1.
smoke() {
    local venv=$1
    local PATH="$venv/bin:$PATH"
    local found
    found=$(command -v logdedup)
    [ "$found" = "$venv/bin/logdedup" ] || { echo "logdedup on PATH is $found, not the virtualenv's" >&2; exit 1; }

    local out
    out=$(printf 'WARNING:asyncio:socket.send() raised exception.\n%.0s' {1..5} | logdedup)
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || { echo "expected one summary line, got: $out" >&2; exit 1; }
    case "$out" in
        *"Pyrogram socket error (occurred 5 times)"*) ;;
        *) echo "unexpected summary: $out" >&2; exit 1 ;;
    esac

    local status=0
    out=$(logdedup run -- python -c 'import sys; print("hi"); sys.exit(3)' </dev/null) || status=$?
    [ "$out" = "hi" ] && [ "$status" -eq 3 ] || { echo "run: got '$out', status $status (want 'hi', 3)" >&2; exit 1; }
    echo "smoke tests passed with $found"
}

step "install the wheel into a fresh virtualenv"
"$python" -m venv "$work/wheel-env"
"$work/wheel-env/bin/pip" install --quiet --no-index "$wheel"
smoke "$work/wheel-env"

step "pip install . into a fresh virtualenv"
"$python" -m venv "$work/source-env"
"$work/source-env/bin/pip" install --quiet "$root"
smoke "$work/source-env"

step "done"

#!/usr/bin/env bash
# Fetch a large corpus of real logs that have nothing to do with Telegram
# bots (loghub's 2k-line samples of 16 systems: Linux syslog, OpenSSH,
# Apache, HDFS, Hadoop, Spark, Zookeeper, OpenStack, Android, Mac, Windows,
# BGL, HPC, Thunderbird, HealthApp, Proxifier) and concatenate them into
# one file, for checking that the built-in packs suppress none of it:
#
#   scripts/unrelated-logs.sh [DIR]          # default: target/unrelated-logs
#   logdedup -r builtin:all --stats DIR/loghub-2k.log >/dev/null
#   LOGDEDUP_UNRELATED=DIR/loghub-2k.log cargo test --test integration unrelated_logs:: -- --ignored
#
# The corpus is not part of this repository: loghub's license allows use
# for research and requires citing https://github.com/logpai/loghub; read
# its LICENSE before redistributing anything from it.
set -euo pipefail
DIR="${1:-target/unrelated-logs}"
mkdir -p "$DIR"
if [ ! -d "$DIR/loghub/.git" ]; then
  git clone --depth 1 https://github.com/logpai/loghub "$DIR/loghub"
fi
find "$DIR/loghub" -name '*_2k.log' | sort | while read -r f; do
  cat "$f"
  # one file lacks a final newline
  [ -z "$(tail -c1 "$f")" ] || echo
done >"$DIR/loghub-2k.log"
echo "$DIR/loghub-2k.log: $(wc -l <"$DIR/loghub-2k.log") lines from $(git -C "$DIR/loghub" rev-parse HEAD)"

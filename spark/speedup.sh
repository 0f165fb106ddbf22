#!/usr/bin/env bash
# Measures the speed-up of local[2] over local[1] for the small study docs/examples/study-spark-speedup.json
# (8 tiny_cnn cells, one engine thread each) on this machine; prints the load average before each run.
# Usage: spark/speedup.sh [WORKDIR]   (default /tmp/pneuknow-speedup; it is emptied first)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:-/tmp/pneuknow-speedup}"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$here/../pneuknow" data synthetic --out synthetic-speedup --train 20 --val 8 --test 10 --seed 3 >/dev/null 2>&1
cp "$here/../docs/examples/study-spark-speedup.json" study.json
"$here/pneuknow-spark" --help >/dev/null 2>&1 || true   # builds the module when needed
for master in 'local[1]' 'local[2]'; do
  out="study-$(echo "$master" | tr -dc '0-9')"
  echo "$master: $(uptime)"
  start=$(date +%s.%N)
  "$here/pneuknow-spark" experiment --config study.json --out "$out" --spark "$master" > "$out.log" 2>&1
  end=$(date +%s.%N)
  printf '%s: %.1f s\n' "$master" "$(echo "$end - $start" | bc)"
done
cmp study-1/summary.json study-2/summary.json && echo "summary.json identical for local[1] and local[2]"

#!/usr/bin/env bash
# Measures a standalone cluster of two workers against one (spark/cluster, one core per worker) on the small
# study docs/examples/study-spark-speedup.json (8 tiny_cnn cells, one engine thread each), submitted with
# spark-submit as docs/scale-out.md shows; prints the load average before each run and compares the tables.
# Usage: spark/cluster-speedup.sh [WORKDIR]   (default /tmp/pneuknow-cluster-speedup; it is emptied first)
# Longer cells: SPEEDUP_TRAIN=150 SPEEDUP_EPOCHS=15 spark/cluster-speedup.sh (training images per class and the
# epochs of the baseline and the student; defaults 20 and 6, the teacher gets half)
# Needs spark/run first (spark/target/pneuknow-spark.jar and spark/target/lib).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:-/tmp/pneuknow-cluster-speedup}"
[ -f "$here/target/pneuknow-spark.jar" ] || { echo "cluster-speedup: run spark/run first" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
java -Dai.djl.offline=true -cp "$here/target/lib/*" io.pneuknow.cli.Main data synthetic --out synthetic-speedup \
  --train "${SPEEDUP_TRAIN:-20}" --val 8 --test 10 --seed 3 >/dev/null 2>&1
# a cell JVM runs in its executor's folder: the data root must be absolute
epochs="${SPEEDUP_EPOCHS:-6}"
sed -e "s|\"root\": \"synthetic-speedup\"|\"root\": \"$work/synthetic-speedup\"|" \
    -e "s|\"epochs\": 6,|\"epochs\": $epochs,|" -e "s|\"teacherEpochs\": 3,|\"teacherEpochs\": $(( (epochs + 1) / 2 )),|" \
    -e "s|\"kdEpochs\": 6,|\"kdEpochs\": $epochs,|" "$here/../docs/examples/study-spark-speedup.json" > study.json
jars=$(ls "$here"/target/lib/*.jar | paste -sd, -)
for workers in 1 2; do
  PNEUKNOW_WORKERS=$workers "$here/cluster" start "$work/home-$workers" > "cluster-$workers.log"
  echo "$workers worker(s): $(uptime)"
  start=$(date +%s.%N)
  "$work/home-$workers/bin/spark-submit" --master spark://127.0.0.1:7077 --deploy-mode client \
    --class io.pneuknow.spark.Main --jars "$jars" \
    --conf spark.executor.cores=1 --conf spark.task.cpus=1 --conf spark.executor.memory=512m \
    "$here/target/pneuknow-spark.jar" \
    experiment --config study.json --out "study-$workers" --cell-heap 1g > "study-$workers.log" 2>&1 || status=$?
  end=$(date +%s.%N)
  "$here/cluster" stop "$work/home-$workers" >> "cluster-$workers.log"
  [ "${status:-0}" = 0 ] || { echo "the study on $workers worker(s) failed; see $work/study-$workers.log" >&2; exit 1; }
  printf '%s worker(s): %.1f s\n' "$workers" "$(echo "$end - $start" | bc)"
done
# the same tables but for the cells' mean wall time
if diff <(grep -v '"minutesMean"' study-1/summary.json) <(grep -v '"minutesMean"' study-2/summary.json) >/dev/null; then
  echo "summary.json identical for 1 and 2 workers but for minutesMean (wall time)"
else
  echo "summary.json differs between 1 and 2 workers" >&2; exit 1
fi

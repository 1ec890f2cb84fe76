#!/usr/bin/env bash
# Records a memory/thread trace of ThreadLeakService (a JVM that leaks one executor thread per
# request) in the `leakguard analyze` CSV format: timestamp_seconds,memory_bytes,threads.
#
#   src/test/scripts/record-jvm-threadleak.sh leak|healthy SECONDS OUTPUT.csv [PORT]
#
# Needs: a JDK 17 (source launcher) and curl. The service listens on 127.0.0.1 only; ~5-10
# requests/s are driven with curl; VmRSS and Threads are read from /proc/PID/status once per
# second; everything started here is stopped on exit. Time is compressed: one sample per
# second stands for one 15 s scrape in the detection benchmark.
set -euo pipefail
mode=$1 seconds=$2 output=$3 port=${4:-18081}
here=$(cd "$(dirname "$0")" && pwd)
source_file="$here/../java/dev/leakguard/bench/detection/fixtures/ThreadLeakService.java"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

leak_flag=""; [ "$mode" = leak ] && leak_flag="--leak"
java -Xmx96m -XX:+UseSerialGC "$source_file" --port "$port" $leak_flag &
service=$!; pids+=($service)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/work" && break; sleep 0.2; done

( while true; do
    curl -s -o /dev/null "http://127.0.0.1:$port/work" || true
    sleep "0.$(( (RANDOM % 15) + 5 ))"
  done ) &
pids+=($!)

echo "timestamp_seconds,memory_bytes,threads" >"$output"
end=$(( $(date +%s) + seconds ))
while [ "$(date +%s)" -lt "$end" ]; do
  now=$(date +%s.%N | cut -c1-14)
  read -r rss_kib threads < <(awk '/^VmRSS:/ {r=$2} /^Threads:/ {t=$2} END {print r, t}' "/proc/$service/status")
  echo "$now,$((rss_kib * 1024)),$threads" >>"$output"
  sleep 1
done

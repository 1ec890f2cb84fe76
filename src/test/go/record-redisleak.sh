#!/usr/bin/env bash
# Records a memory/goroutine trace of the redisleak service (see redisleak/README.md) in the
# `leakguard analyze` CSV format: timestamp_seconds,memory_bytes,threads.
#
#   src/test/go/record-redisleak.sh leak|healthy SECONDS OUTPUT.csv [PORT_BASE]
#
# Needs: go (module mode; the Go module proxy serves the dependencies), redis-server, curl.
# Starts redis-server and the service on 127.0.0.1 only, drives ~6 requests/s with the service's
# own load driver (-load), samples VmRSS from /proc/PID/status and go_goroutines from /metrics
# once per second, and stops everything it started on exit. Time is compressed: one sample per
# second stands for one 15 s scrape in the detection benchmark.
set -euo pipefail
mode=$1 seconds=$2 output=$3 port_base=${4:-16000}
redis_port=$((port_base + 379)) http_port=$((port_base + 80))
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

(cd "$here/redisleak" && go build -o "$work/redisleak" .)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
leak=false; [ "$mode" = leak ] && leak=true
"$work/redisleak" -listen "127.0.0.1:$http_port" -redis "127.0.0.1:$redis_port" -leak="$leak" -garbage-kib 512 >"$work/service.log" 2>&1 &
service=$!; pids+=($service)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null && break; sleep 0.1; done

"$work/redisleak" -load "http://127.0.0.1:$http_port/visit" -rps 6 >"$work/load.log" 2>&1 &
pids+=($!)

echo "timestamp_seconds,memory_bytes,threads" >"$output"
end=$(( $(date +%s) + seconds ))
while [ "$(date +%s)" -lt "$end" ]; do
  now=$(date +%s.%N | cut -c1-14)
  rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$service/status")
  goroutines=$(curl -sf "http://127.0.0.1:$http_port/metrics" | awk '/^go_goroutines / {print $2}')
  echo "$now,$((rss_kib * 1024)),$goroutines" >>"$output"
  sleep 1
done

#!/usr/bin/env bash
# Records a memory/goroutine trace of the redisleak service (see redisleak-recorder/main.go) in the
# `leakguard analyze` CSV format: timestamp_seconds,memory_bytes,threads.
#
#   src/test/go/record-redisleak.sh leak|healthy SECONDS OUTPUT.csv [PORT_BASE]
#
# Needs: go (Debian golang-go), golang-gopkg-redis.v5-dev,
# golang-github-prometheus-client-golang-dev, redis-server, curl.
# Starts redis-server and the service on 127.0.0.1 only, drives ~5-10 requests/s with curl,
# samples VmRSS from /proc/PID/status and go_goroutines from /metrics once per second, and
# stops everything it started on exit. Time is compressed: one sample per second stands for
# one 15 s scrape in the detection benchmark.
set -euo pipefail
mode=$1 seconds=$2 output=$3 port_base=${4:-16000}
redis_port=$((port_base + 379)) http_port=$((port_base + 80))
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

(cd "$here" && GO111MODULE=off GOPATH=/usr/share/gocode:$HOME/go go build -o "$work/redisleak" ./redisleak-recorder)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
leak_flag=""; [ "$mode" = leak ] && leak_flag="-leak"
"$work/redisleak" -listen "127.0.0.1:$http_port" -redis "127.0.0.1:$redis_port" $leak_flag >"$work/service.log" 2>&1 &
service=$!; pids+=($service)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$http_port/metrics" >/dev/null && break; sleep 0.1; done

( while true; do
    curl -s -o /dev/null "http://127.0.0.1:$http_port/work" || true
    sleep "0.$(( (RANDOM % 15) + 5 ))"
  done ) &
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

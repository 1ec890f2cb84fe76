#!/usr/bin/env bash
# Records a memory/thread trace of one of the small leaking services below, in the
# `leakguard analyze` CSV format: timestamp_seconds,memory_bytes,threads.
#
#   src/test/scripts/record-service.sh PROGRAM leak|healthy SECONDS OUTPUT.csv [PORT]
#
# PROGRAM:
#   jvm-executors       fixtures/ThreadLeakService.java (JDK 17 source launcher): a one-thread pool per
#                       request, never shut down (leak) or one shared executor (healthy);
#                       threads = Threads from /proc/PID/status
#   jvm-direct-buffers  fixtures/DirectBufferLeakService.java (JDK 17 source launcher): a direct
#                       ByteBuffer kept per request (leak) or a bounded buffer pool (healthy);
#                       threads = Threads from /proc/PID/status
#   go-sessions         src/test/go/sessionleak: a session per request in a global map never
#                       evicted (leak) or bounded to 512 (healthy); threads = go_goroutines from /metrics
#   python-lru-cache    src/test/python/reportleak/service.py: lru_cache(maxsize=None) keyed by
#                       request (leak) or maxsize=256 (healthy); threads = Threads from /proc
#   node-listeners      src/test/node/quoteleak/service.js: a listener per request on a long-lived
#                       EventEmitter, never removed (leak) or removed when the response closes
#                       (healthy); threads = Threads from /proc
#
# Needs: go (module mode; the Go module proxy serves client_golang), a JDK 17, python3, node, curl.
# The service listens on 127.0.0.1 only; 6 requests/s come from redisleak's load driver
# (src/test/go/redisleak -load); memory is VmRSS from /proc/PID/status, sampled once per second.
# The recording stops after SECONDS, or earlier when VmRSS passes RSS_CAP_MIB (default 1024), so
# a leak never exhausts the shared machine; everything started here is stopped on exit.
set -euo pipefail
program=$1 mode=$2 seconds=$3 output=$4 port=${5:-18082}
rss_cap_kib=$(( ${RSS_CAP_MIB:-1024} * 1024 ))
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

(cd "$here/../go/redisleak" && go build -o "$work/load" .)
url="http://127.0.0.1:$port"
fixtures="$here/../java/dev/leakguard/bench/detection/fixtures"
case "$program" in
  jvm-executors)
    leak_flag=""; [ "$mode" = leak ] && leak_flag="--leak"
    java -Xmx96m -XX:+UseSerialGC "$fixtures/ThreadLeakService.java" --port "$port" $leak_flag \
      >"$work/service.log" 2>&1 &
    path=/work ;;
  jvm-direct-buffers)
    leak_flag=""; [ "$mode" = leak ] && leak_flag="--leak"
    java -Xmx96m -XX:+UseSerialGC -XX:MaxDirectMemorySize=768m \
      "$fixtures/DirectBufferLeakService.java" --port "$port" $leak_flag \
      >"$work/service.log" 2>&1 &
    path=/work ;;
  go-sessions)
    (cd "$here/../go/sessionleak" && go build -o "$work/sessionleak" .)
    leak=false; [ "$mode" = leak ] && leak=true
    "$work/sessionleak" -listen "127.0.0.1:$port" -leak="$leak" >"$work/service.log" 2>&1 &
    path=/visit ;;
  python-lru-cache)
    healthy_flag="--healthy"; [ "$mode" = leak ] && healthy_flag=""
    python3 "$here/../python/reportleak/service.py" --port "$port" $healthy_flag >"$work/service.log" 2>&1 &
    path=/report ;;
  node-listeners)
    healthy_flag="--healthy"; [ "$mode" = leak ] && healthy_flag=""
    node "$here/../node/quoteleak/service.js" --port "$port" $healthy_flag >"$work/service.log" 2>&1 &
    path=/quote ;;
  *) echo "unknown program $program" >&2; exit 2 ;;
esac
service=$!; pids+=($service)
for _ in $(seq 150); do curl -s -o /dev/null "$url$path" && break; sleep 0.2; done

"$work/load" -load "$url$path" -rps 6 >"$work/load.log" 2>&1 &
pids+=($!)

threads() {
  if [ "$program" = go-sessions ]; then
    curl -sf "$url/metrics" | awk '/^go_goroutines / {print $2}'
  else
    awk '/^Threads:/ {print $2}' "/proc/$service/status"
  fi
}

echo "timestamp_seconds,memory_bytes,threads" >"$output"
end=$(( $(date +%s) + seconds ))
while [ "$(date +%s)" -lt "$end" ]; do
  now=$(date +%s.%N | cut -c1-14)
  rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$service/status")
  echo "$now,$((rss_kib * 1024)),$(threads)" >>"$output"
  if [ "$rss_kib" -gt "$rss_cap_kib" ]; then
    echo "VmRSS ${rss_kib} KiB passed the cap of ${rss_cap_kib} KiB; stopping" >&2
    break
  fi
  sleep 1
done

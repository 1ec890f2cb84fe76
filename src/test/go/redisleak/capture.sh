#!/bin/bash
# Captures Go goroutine-profile fixtures from redisleak UNDER LOAD: the leaking program at 5, 20
# and 50 requests/s, then its fixed twin (-leak=false) at 20 requests/s, each driven by the
# program's own load driver, against a real redis-server. Everything listens on 127.0.0.1 only
# and is stopped on exit. Takes about three minutes.
#
#   src/test/go/redisleak/capture.sh                                  # the Go on PATH (go.mod)
#   GO=/usr/lib/go-1.19/bin/go src/test/go/redisleak/capture.sh       # Debian golang-1.19-go (go1.19.mod)
#
# (from the repository root). Needs redis-server (Debian redis-server), curl and python3 (free ports).
# Writes src/test/resources/fixtures/profiles/go/redisleak-<goX.Y>-*.txt and prints, per load
# level, how many answers were taken and how many held a goroutine without frames: debug=1 keeps
# the first answer that has such a record (or the last one), debug=2 likewise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../resources/fixtures/profiles/go
GO=${GO:-go}
series=$("$GO" env GOVERSION | sed -E 's/^(go[0-9]+\.[0-9]+).*/\1/')
modflags=()
# client_golang >= 1.23 needs a newer Go than 1.19; that toolchain builds against its own module file.
[ -f "$here/$series.mod" ] && modflags=(-modfile "$series.mod")
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

(cd "$here" && GOTOOLCHAIN=local "$GO" build "${modflags[@]}" -trimpath -o "$work/redisleak" .)
redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)

# start_app NAME [env...] -- flags: starts the service and waits until it answers.
start_app() {
  local port; port=$(free_port)
  env "${@:2}" "$work/redisleak" -listen "127.0.0.1:$port" -redis "127.0.0.1:$redis_port" "${app_flags[@]}" >"$work/$1.log" 2>&1 &
  app_pid=$!; pids+=("$app_pid")
  base=http://127.0.0.1:$port
  until curl -sf "$base/healthz" >/dev/null; do sleep 0.1; done
}
stop_app() { kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; }
start_load() {
  "$work/redisleak" -load "$base/visit" -rps "$1" >>"$work/load.log" 2>&1 &
  load_pid=$!; pids+=("$load_pid")
}
stop_load() { kill -INT "$load_pid"; wait "$load_pid" 2>/dev/null || true; }

# A debug=1 record header followed directly by the blank line that ends it.
frameless_debug1() { awk 'prev ~ /^[0-9]+ @/ && $0 == "" { found = 1 } { prev = $0 } END { exit !found }' "$1"; }
# A debug=2 goroutine header followed by anything but a function line.
frameless_debug2() { awk 'prev ~ /^goroutine [0-9]+ .*:$/ && ($0 == "" || $0 ~ /^(\t|created by )/) { found = 1 } { prev = $0 } END { exit !found }' "$1"; }

# capture NAME DEBUG TRIES: takes TRIES answers half a second apart, keeps one as NAME.debugDEBUG.txt.
capture() {
  local name=$1 debug=$2 tries=$3 kept="" hits=0 i
  for i in $(seq "$tries"); do
    curl -sf "$base/debug/pprof/goroutine?debug=$debug" >"$work/answer-$i.txt"
    if "frameless_debug$debug" "$work/answer-$i.txt"; then
      hits=$((hits + 1))
      [ -z "$kept" ] && kept=$i
    fi
    sleep 0.5
  done
  cp "$work/answer-${kept:-$tries}.txt" "$out/redisleak-$series-$name.debug$debug.txt"
  echo "$series $name debug=$debug: $tries answers, $hits with a goroutine without frames; kept answer ${kept:-$tries} ($(head -c 60 "$out/redisleak-$series-$name.debug$debug.txt" | head -1))"
}

app_flags=(-leak -deep 150)
start_app leak
for rps in 5 20 50; do
  start_load "$rps"
  sleep 8
  capture "leak-rps$rps" 1 16
  capture "leak-rps$rps" 2 8
  stop_load
done
stop_app

# The fixed twin prints pprof labels in debug=2 headers too (GODEBUG tracebacklabels, Go 1.26+).
app_flags=(-leak=false)
start_app fixed GODEBUG=tracebacklabels=1
start_load 20
sleep 8
capture fixed-rps20-first 1 8
capture fixed-rps20-first 2 4
sleep 20
capture fixed-rps20-later 1 8
capture fixed-rps20-later 2 4
stop_load
stop_app
cat "$work/load.log"
echo "captured into $out"

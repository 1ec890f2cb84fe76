#!/bin/sh
# Captures the Go goroutine-profile fixtures from a real run of redisleak against a
# real redis-server, both listening on 127.0.0.1 only. Needs Debian golang-go,
# golang-gopkg-redis.v5-dev, redis-server, curl and python3 (to pick free ports).
# Takes about 80 s.
# Usage: src/test/go/redisleak/capture.sh   (from the repository root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../resources/fixtures/profiles/go
mkdir -p "$out"
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
http_port=$(free_port)

# Build inside a scratch GOPATH so the recorded file paths do not depend on the checkout location.
mkdir -p "$work/gopath/src/redisleak"
cp "$here/main.go" "$work/gopath/src/redisleak/"
(cd "$work/gopath/src/redisleak" && GO111MODULE=off GOPATH=/usr/share/gocode:$work/gopath go build -trimpath -o "$work/redisleak" .)

redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
"$work/redisleak" -listen "127.0.0.1:$http_port" -redis "127.0.0.1:$redis_port" >"$work/app.log" 2>&1 &
app_pid=$!
trap 'kill $app_pid $redis_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

until curl -sf "http://127.0.0.1:$http_port/debug/pprof/" >/dev/null; do sleep 0.1; done

visit() { i=0; while [ $i -lt "$1" ]; do curl -sf "http://127.0.0.1:$http_port/visit" >/dev/null; i=$((i + 1)); done; }
capture() {
  curl -sf "http://127.0.0.1:$http_port/debug/pprof/goroutine?debug=1" >"$out/redisleak-$1.debug1.txt"
  curl -sf "http://127.0.0.1:$http_port/debug/pprof/goroutine?debug=2" >"$out/redisleak-$1.debug2.txt"
}

visit 10
capture after10
visit 990
# Wait past a minute so long-parked goroutines carry the "[chan receive, 1 minutes]" form.
sleep 65
capture after1000
echo "captured into $out"

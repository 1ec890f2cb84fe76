#!/bin/bash
# Captures Spring Boot Actuator /actuator/threaddump (JSON and text) from ActuatorLeak under load:
# 20 requests/s to /quote (each leaks a thread pool and starts two short-lived threads), driven by
# the load driver of src/test/go/redisleak; both forms 6 s into the load (actuator-busy-rps20-first)
# and 8 s later (actuator-busy-rps20-later). Spring Boot comes from Maven Central through this
# folder's pom.xml (copied into a scratch folder; Spring is not a dependency of leakguard).
# Needs a JDK 17, Maven, Go, curl and python3 (free ports). Listens on 127.0.0.1 only and stops
# everything it started.
# Usage: src/test/jvm/actuator/capture.sh   (from the repository root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../resources/fixtures/profiles/jvm
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cp "$here/pom.xml" "$work/"
(cd "$work" && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime)
javac -d "$work/classes" -cp "$work/lib/*" "$here/ActuatorLeak.java"
(cd "$here/../../go/redisleak" && go build -o "$work/load" .)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
java -cp "$work/classes:$work/lib/*" capture.ActuatorLeak --server.address=127.0.0.1 --server.port="$port" \
  --management.endpoints.web.exposure.include=threaddump >"$work/app.log" 2>&1 &
pids+=($!)
until curl -sf "$base/quote" >/dev/null; do sleep 0.5; done

capture() {
  curl -sf -H 'Accept: application/json' "$base/actuator/threaddump" >"$out/actuator-$1.json"
  curl -sf -H 'Accept: text/plain' "$base/actuator/threaddump" >"$out/actuator-$1.txt"
  echo "actuator-$1: $(grep -o '"threadName"' "$out/actuator-$1.json" | wc -l) threads (JSON), $(grep -c '^"' "$out/actuator-$1.txt") (text)"
}
"$work/load" -load "$base/quote" -rps 20 >"$work/load.log" 2>&1 &
pids+=($!)
sleep 6
capture busy-rps20-first
sleep 8
capture busy-rps20-later
java -version 2>&1 | head -1
grep -h "Tomcat\|Spring Boot" "$work/app.log" | head -3 || true
echo "captured into $out"

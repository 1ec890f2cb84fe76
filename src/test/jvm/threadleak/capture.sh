#!/bin/bash
# Captures the JVM thread-dump fixtures from real runs of ThreadLeak and VirtualThreadLeak.
#  1. ThreadLeak on the JDK on PATH (17): `jstack <pid>` and `jcmd <pid> Thread.print` after 10 and
#     after 300 leaking requests, served one at a time (threadleak-after10/after300).
#  2. The same program under load, 20 requests/s with two short-lived threads per request: both
#     dumps 4 s into the load and 6 s later (threadleak-busy-rps20-first/later).
#  3. VirtualThreadLeak on a JDK 21+ ($JDK21, default the Temurin 25 under /usr/lib/jvm; skipped
#     when absent) at 10 requests/s: jstack (the first of up to ten tries that shows a
#     "Carrying virtual thread" line), jcmd Thread.print, and jcmd Thread.dump_to_file in text and
#     JSON, 5 s into the load and 10 s later (vthreadleak-<jdk>-first/later).
# Usage: src/test/jvm/threadleak/capture.sh   (from the repository root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../resources/fixtures/profiles/jvm
mkdir -p "$out"
JDK21=${JDK21:-/usr/lib/jvm/temurin-25-jdk-amd64}

coproc LEAK { exec java -Xss256k "$here/ThreadLeak.java"; }
trap 'echo quit >&"${LEAK[1]}" 2>/dev/null || true; wait' EXIT
read -r _ pid <&"${LEAK[0]}"

send() { echo "$1" >&"${LEAK[1]}"; read -r _ <&"${LEAK[0]}"; }
capture() {
  jstack "$pid" >"$out/threadleak-$1.jstack.txt"
  jcmd "$pid" Thread.print >"$out/threadleak-$1.jcmd.txt"
}

send "requests 10"
capture after10
send "requests 290"
capture after300
send "load 20"
sleep 4
capture busy-rps20-first
sleep 6
capture busy-rps20-later
send stop
echo quit >&"${LEAK[1]}"
wait
trap - EXIT

if [ ! -x "$JDK21/bin/java" ]; then
  echo "no JDK 21+ at $JDK21: virtual-thread dumps not captured"
  exit 0
fi
jdk=jdk$("$JDK21/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
scratch=$(mktemp -d)
coproc VIRTUAL { exec "$JDK21/bin/java" "$here/VirtualThreadLeak.java"; }
trap 'echo quit >&"${VIRTUAL[1]}" 2>/dev/null || true; wait; rm -rf "$scratch"' EXIT
read -r _ pid <&"${VIRTUAL[0]}"
echo "load 10" >&"${VIRTUAL[1]}"; read -r _ <&"${VIRTUAL[0]}"
capture_virtual() {
  local name=vthreadleak-$jdk-$1 try
  for try in $(seq 10); do
    "$JDK21/bin/jstack" "$pid" >"$out/$name.jstack.txt"
    grep -q "Carrying virtual thread" "$out/$name.jstack.txt" && break
    sleep 0.3
  done
  "$JDK21/bin/jcmd" "$pid" Thread.print >"$out/$name.jcmd.txt"
  "$JDK21/bin/jcmd" "$pid" Thread.dump_to_file -format=text "$scratch/$1.txt" >/dev/null
  "$JDK21/bin/jcmd" "$pid" Thread.dump_to_file -format=json "$scratch/$1.json" >/dev/null
  cp "$scratch/$1.txt" "$out/$name.dump.txt"
  cp "$scratch/$1.json" "$out/$name.dump.json"
  echo "$name: jstack after $try tries ($(grep -c 'Carrying virtual thread' "$out/$name.jstack.txt") carrying), $(grep -c '^#' "$out/$name.dump.txt") threads in the text dump"
}
sleep 5
capture_virtual first
sleep 10
capture_virtual later
echo "captured into $out"

#!/bin/bash
# Captures the JVM thread-dump fixtures from a real run of ThreadLeak: `jstack <pid>` and
# `jcmd <pid> Thread.print` after 10 and after 300 leaking requests. Needs a JDK 17 with
# jstack and jcmd. Usage: src/test/jvm/threadleak/capture.sh   (from the repository root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../resources/fixtures/profiles/jvm
mkdir -p "$out"

coproc LEAK { exec java -Xss256k "$here/ThreadLeak.java"; }
trap 'echo quit >&"${LEAK[1]}" 2>/dev/null || true; wait' EXIT
read -r _ pid <&"${LEAK[0]}"

serve() { echo "requests $1" >&"${LEAK[1]}"; read -r _ <&"${LEAK[0]}"; }
capture() {
  jstack "$pid" >"$out/threadleak-$1.jstack.txt"
  jcmd "$pid" Thread.print >"$out/threadleak-$1.jcmd.txt"
}

serve 10
capture after10
serve 290
capture after300
echo "captured into $out"

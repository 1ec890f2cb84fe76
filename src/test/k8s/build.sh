#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager) from the published Go modules
# pinned in this folder's go.mod, into a cache keyed by the Kubernetes version and by go.sum, and prints the
# folder. A second run with the same go.mod/go.sum reuses the binaries. Nothing but Go modules is downloaded.
#
#   src/test/k8s/build.sh            # prints e.g. /root/.cache/leakguard/control-plane/kubernetes-v1.37.2
#   src/test/k8s/build.sh --if-go    # as `mvn verify` calls it: without Go, say so and leave the tests to skip
#
# The Java tests (dev.leakguard.testing.RealKubernetes) look in the same folder; LEAKGUARD_CONTROL_PLANE_CACHE
# moves the cache for both.
set -euo pipefail
if [ "${1:-}" = "--if-go" ] && ! command -v go >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "build.sh: go is not on the PATH (CI=true: the real-API-server tests may not be skipped)" >&2
    exit 1
  fi
  echo "build.sh: go is not on the PATH; the tests that need a real API server will be skipped" >&2
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "k8s.io/kubernetes" { print $2; exit } $1 == "require" && $2 == "k8s.io/kubernetes" { print $3; exit }' "$here/go.mod")
[ -n "$version" ] || { echo "build.sh: no k8s.io/kubernetes version in $here/go.mod" >&2; exit 1; }
cache=${LEAKGUARD_CONTROL_PLANE_CACHE:-$HOME/.cache/leakguard/control-plane}
out="$cache/kubernetes-$version"
# go.sum pins every module that goes into the binaries, so it is the key beside the version.
stamp=$(sha256sum "$here/go.sum" | cut -c1-16)

if [ -f "$out/built-from" ] && [ "$(cat "$out/built-from")" = "$stamp" ] \
   && [ -x "$out/etcd" ] && [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$out"
start=$(date +%s)
(
  cd "$here"
  # The release's own build stamps its version the same way; without it /version says v0.0.0-master.
  minor=${version#v1.}; minor=${minor%%.*}
  base=k8s.io/component-base/version
  go build -ldflags "-X $base.gitVersion=$version -X $base.gitMajor=1 -X $base.gitMinor=$minor -X $base.gitTreeState=clean" \
    -o "$out/" ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager
) >&2
echo "$stamp" > "$out/built-from"
echo "build.sh: built etcd, kube-apiserver, kube-controller-manager $version in $(( $(date +%s) - start )) s" >&2
echo "$out"

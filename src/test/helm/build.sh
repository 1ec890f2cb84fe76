#!/usr/bin/env bash
# Builds the Helm CLI from the published Go module pinned in this folder's go.mod, into a cache keyed by the Helm
# version and by go.sum, and prints the binary's path. A second run with the same go.mod/go.sum reuses the binary.
# Like src/test/k8s/build.sh (the control plane), nothing but Go modules is downloaded.
#
#   src/test/helm/build.sh            # prints e.g. /root/.cache/leakguard/helm/helm-v4.3.2/helm
#   src/test/helm/build.sh --if-go    # as `mvn verify` calls it: without Go, say so and leave the Helm tests to skip
#
# The Java tests (dev.leakguard.deploy.Helm) look in the same place; LEAKGUARD_HELM_CACHE moves the cache for both.
set -euo pipefail
if [ "${1:-}" = "--if-go" ] && ! command -v go >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "build.sh: go is not on the PATH (CI=true: the Helm chart tests may not be skipped)" >&2
    exit 1
  fi
  echo "build.sh: go is not on the PATH; the Helm chart tests will be skipped" >&2
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "helm.sh/helm/v4" { print $2; exit } $1 == "require" && $2 == "helm.sh/helm/v4" { print $3; exit }' "$here/go.mod")
[ -n "$version" ] || { echo "build.sh: no helm.sh/helm/v4 version in $here/go.mod" >&2; exit 1; }
cache=${LEAKGUARD_HELM_CACHE:-$HOME/.cache/leakguard/helm}
out="$cache/helm-$version"
stamp=$(sha256sum "$here/go.sum" | cut -c1-16)

if [ -f "$out/built-from" ] && [ "$(cat "$out/built-from")" = "$stamp" ] && [ -x "$out/helm" ]; then
  echo "$out/helm"
  exit 0
fi

mkdir -p "$out"
start=$(date +%s)
(
  cd "$here"
  # Helm's own release build stamps its version this way; without it `helm version` says v4.x-dev.
  go build -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version" -o "$out/helm" helm.sh/helm/v4/cmd/helm
) >&2
echo "$stamp" > "$out/built-from"
echo "build.sh: built helm $version in $(( $(date +%s) - start )) s" >&2
echo "$out/helm"

//go:build tools

// Pins the helm command in go.mod so `go build helm.sh/helm/v4/cmd/helm` resolves after `go mod download`.
package testhelm

import (
	_ "helm.sh/helm/v4/cmd/helm"
)

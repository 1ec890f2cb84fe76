//go:build tools

// Pins the control-plane commands in go.mod so `go build k8s.io/kubernetes/cmd/...` resolves offline after `go mod download`.
package testk8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)

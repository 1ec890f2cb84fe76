// etcd for the test control plane: the same server code as the etcd release kube-apiserver is built against.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

// Command etcd is the etcd server (go.etcd.io/etcd/server/v3 at the version go.mod pins),
// the storage that kube-apiserver needs in dualnet's tests and lab.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

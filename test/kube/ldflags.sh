# Sourced by build.sh and build-e2e.sh: kube_ldflags stamps $KUBE_VERSION into both version
# packages, as Kubernetes' hack/lib/version.sh does: component-base for servers' --version,
# client-go for kubectl and every client's User-Agent.
minor="${KUBE_VERSION#v*.}"
minor="${minor%%.*}"
major="${KUBE_VERSION#v}"
major="${major%%.*}"
kube_ldflags="-s -w"
for vpkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=$major -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean"
done

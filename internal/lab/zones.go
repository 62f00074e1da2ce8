package lab

import "strconv"

// labZones is how many availability zones the lab's region has: the three of every Azure
// region with zones.
const labZones = 3

// nodeTopologyLabels are the labels a node of a zonal AKS node pool carries, as the kubelet
// registers them (--node-labels): the region, and a zone named <region>-<n>, the pool's
// nodes spread over zones 1 to 3 in turn. Without them the upstream e2e specs of topology
// hints and traffic distribution skip themselves ("need at least 3 zones").
func nodeTopologyLabels(index int) string {
	zone := armLocation + "-" + strconv.Itoa(index%labZones+1)
	return "topology.kubernetes.io/region=" + armLocation + ",topology.kubernetes.io/zone=" + zone
}

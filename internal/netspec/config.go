package netspec

// The config file (--config) holds the whole spec once, so that the controller and every
// agent read the same one (deploy/dualnet.yaml mounts it from one ConfigMap). It is a
// Kubernetes-style object whose fields are the flags' names in camelCase; an omitted field
// takes the flag's default:
//
//	apiVersion: dualnet.io/v1alpha1
//	kind: NetworkSpec
//	ipFamilies: [ipv4, ipv6]
//	podCIDRs: [10.244.0.0/16, fd12:3456:789a::/64]
//	serviceCIDRs: [10.0.0.0/16, fd12:3456:789a:1::/108]
//	nodeCIDRMaskSizeIPv4: 24
//	nodeCIDRMaskSizeIPv6: 80
//	maxRoutes: 400
//	nodeSubnets: []
const (
	ConfigAPIVersion = "dualnet.io/v1alpha1"
	ConfigKind       = "NetworkSpec"
)

// specField is one field of the spec: its name in the config file, its flag, and where
// it goes in Input (a list, written comma-separated as the flag takes it, or a number).
type specField struct {
	field   string
	flag    string
	list    func(*Input) *string
	number  func(*Input) *int
	example string // a list's value, for hints
}

// specFields is every spec field, in the order a config file lists them; errors about a
// file follow this order too.
var specFields = []specField{
	{field: "ipFamilies", flag: "--ip-families", list: func(in *Input) *string { return &in.IPFamilies },
		example: "[ipv4, ipv6]"},
	{field: "podCIDRs", flag: "--pod-cidrs", list: func(in *Input) *string { return &in.PodCIDRs },
		example: "[" + DefaultPodCIDRIPv4 + ", " + DefaultPodCIDRIPv6 + "]"},
	{field: "serviceCIDRs", flag: "--service-cidrs", list: func(in *Input) *string { return &in.ServiceCIDRs },
		example: "[" + DefaultServiceCIDRIPv4 + ", " + DefaultServiceCIDRIPv6 + "]"},
	{field: "nodeCIDRMaskSizeIPv4", flag: "--node-cidr-mask-size-ipv4", number: func(in *Input) *int { return &in.NodeCIDRMaskSizeIPv4 }},
	{field: "nodeCIDRMaskSizeIPv6", flag: "--node-cidr-mask-size-ipv6", number: func(in *Input) *int { return &in.NodeCIDRMaskSizeIPv6 }},
	{field: "maxRoutes", flag: "--max-routes", number: func(in *Input) *int { return &in.MaxRoutes }},
	{field: "nodeSubnets", flag: "--node-subnets", list: func(in *Input) *string { return &in.NodeSubnets },
		example: "[10.240.0.0/16, 2001:db8::/64]"},
}

// configKeys are the keys a config file may hold: its type, then the spec's fields.
var configKeys = func() []string {
	keys := []string{"apiVersion", "kind"}
	for _, f := range specFields {
		keys = append(keys, f.field)
	}
	return keys
}()

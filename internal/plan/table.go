package plan

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the plan the way kubectl prints tables: the nodes in the shape of the AKS
// article's `kubectl get nodes` custom columns, then the service ranges and the capacity.
func WriteTable(w io.Writer, p Plan) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	withAddresses := len(p.Nodes) > 0 && len(p.Nodes[0].Addresses) > 0
	if withAddresses {
		fmt.Fprintln(tw, "NAME\tADDRESSES\tPODCIDRS")
	} else {
		fmt.Fprintln(tw, "NAME\tPODCIDRS")
	}
	for _, n := range p.Nodes {
		if withAddresses {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", n.Name, strings.Join(n.Addresses, ","), strings.Join(n.PodCIDRs, ","))
		} else {
			fmt.Fprintf(tw, "%s\t%s\n", n.Name, strings.Join(n.PodCIDRs, ","))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tSERVICE CIDR\tKUBERNETES SERVICE IP")
	for _, s := range p.ServiceCIDRs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Family, s.CIDR, s.KubernetesServiceIP)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	fmt.Fprintf(w, "Capacity: %s nodes, bound by the %s.\n", count(p.Capacity.Nodes), p.Capacity.BindingLimit)
	tw = tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "LIMIT\tNODES\tFROM")
	for _, l := range p.Capacity.Limits {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Name, count(l.Nodes), l.Detail)
	}
	return tw.Flush()
}

// count prints a node count; counts saturate at the largest uint64, which reads better as
// what it means.
func count(n uint64) string {
	if n == ^uint64(0) {
		return "2^64 or more"
	}
	return fmt.Sprint(n)
}

package azure

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Config says which route table to manage and how to reach ARM.
type Config struct {
	SubscriptionID string
	ResourceGroup  string
	RouteTable     string
	// Endpoint overrides the Resource Manager URL (a local armemu, a sovereign cloud).
	Endpoint string
	// Credential authenticates to ARM (azidentity's DefaultAzureCredential in a cluster).
	Credential azcore.TokenCredential
	// Transport overrides the HTTP client (to trust a local endpoint's certificate).
	Transport policy.Transporter
	// PodCIDRs are the cluster pod CIDRs: only routes inside them are dualnet's.
	PodCIDRs []netip.Prefix
	// MaxRoutes is the most routes a written table may hold, dualnet's and others together.
	MaxRoutes int
	// Retry tunes the SDK's retries of 429 and 5xx answers; zero values are the SDK's defaults.
	// Retry-After is honoured whatever these say.
	Retry policy.RetryOptions
}

func (c Config) validate() error {
	for flag, v := range map[string]string{
		"--azure-subscription-id": c.SubscriptionID,
		"--azure-resource-group":  c.ResourceGroup,
		"--azure-route-table":     c.RouteTable,
	} {
		if v == "" {
			return fmt.Errorf("%s is required with --routes=azure", flag)
		}
	}
	if c.Credential == nil {
		return fmt.Errorf("azure route backend: no credential")
	}
	if c.MaxRoutes <= 0 {
		return fmt.Errorf("--max-routes: %d, want a positive number of routes per table", c.MaxRoutes)
	}
	if len(c.PodCIDRs) == 0 {
		return fmt.Errorf("--pod-cidrs: empty, the route backend needs the cluster pod CIDRs")
	}
	return nil
}

func (c Config) clientOptions() *arm.ClientOptions {
	o := &arm.ClientOptions{}
	o.Retry = c.Retry
	if c.Endpoint != "" {
		o.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: cloud.AzurePublic.ActiveDirectoryAuthorityHost,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: c.Endpoint, Audience: c.Endpoint},
			},
		}
		// The RP registration policy would try to register Microsoft.Network on first 409;
		// a custom endpoint has no provider registry.
		o.DisableRPRegistration = true
		// A plain http:// endpoint is a local emulator on loopback; Azure is always https.
		o.InsecureAllowCredentialWithHTTP = strings.HasPrefix(c.Endpoint, "http://")
	}
	if c.Transport != nil {
		o.Transport = c.Transport
	}
	return o
}

package armemu

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// ClientOptions point an armnetwork client at the server: its URL as the Resource Manager
// endpoint and a transport that trusts its certificate.
func (s *Server) ClientOptions() *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: s.url,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: s.url, Audience: s.url},
			},
		},
		Transport:                       s.HTTPClient(),
		InsecureAllowCredentialWithHTTP: s.opts.PlainHTTP,
	}}
}

// Credential is a token credential for the server, which checks only that a bearer token is
// sent (ARM answers 401 without one).
func Credential() azcore.TokenCredential { return staticToken{} }

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "armemu", ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

package controlplane

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ClientConfig returns a client config that authenticates as user in groups with a client
// certificate from the control plane's CA: a kubelet is ("system:node:<name>", "system:nodes").
// RBAC decides what it may do.
func (cp *ControlPlane) ClientConfig(user string, groups ...string) (*rest.Config, error) {
	pair, err := cp.pki.clientPair(user, groups)
	if err != nil {
		return nil, err
	}
	cfg := cp.RestConfig()
	cfg.CertData, cfg.KeyData = pair.certPEM, pair.keyPEM
	return cfg, nil
}

// WriteKubeconfig writes a kubeconfig file (mode 0600) for a config from RestConfig or
// ClientConfig, for processes and kubectl.
func WriteKubeconfig(path string, cfg *rest.Config) error {
	const name = "dualnet"
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
	}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

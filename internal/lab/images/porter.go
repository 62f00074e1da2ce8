package images

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
)

// porterTLSLayer holds the certificate and key that `agnhost porter` serves its TLS ports
// with (localhost.crt and localhost.key in its working directory, /): the suite's proxy specs
// reach those ports through the API server, which does not verify them. Upstream's image ships
// a pair made once; this one is derived from a fixed seed, so that the image's digest depends
// on its inputs only. The key guards nothing: it is the same in every lab.
func (b *builder) porterTLSLayer() (mutate.Addendum, error) {
	certPEM, keyPEM, err := porterTLS()
	if err != nil {
		return mutate.Addendum{}, err
	}
	l := image.NewLayer()
	if err := l.Content("/localhost.crt", certPEM, 0o644); err != nil {
		return mutate.Addendum{}, err
	}
	if err := l.Content("/localhost.key", keyPEM, 0o600); err != nil {
		return mutate.Addendum{}, err
	}
	return b.layer(l, "agnhost porter's TLS certificate for localhost")
}

// porterTLS is a self-signed Ed25519 certificate for localhost, 127.0.0.1 and ::1, valid
// until 2084 as upstream's, and its key, both PEM. Ed25519 signs deterministically, so the same
// seed always gives the same bytes.
func porterTLS() (certPEM, keyPEM []byte, err error) {
	seed := sha256.Sum256([]byte("dualnet lab: agnhost porter localhost"))
	key := ed25519.NewKeyFromSeed(seed[:])
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2084, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("porter's certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("porter's key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

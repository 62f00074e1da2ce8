package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"slices"
	"testing"
)

func TestRestartKeepsTheCertificateClientsTrust(t *testing.T) {
	file := filepath.Join(t.TempDir(), "armemu.pem")
	cert1, key1, err := keptCertificate(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert2, key2, err := keptCertificate(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert1, cert2) || !bytes.Equal(key1, key2) {
		t.Error("a second start made a new certificate; clients given the first would stop trusting the endpoint")
	}
}

// A client on another machine dials the --listen address: the certificate names it, and only
// a specific one.
func TestTheCertificateIsValidForTheListenAddress(t *testing.T) {
	for listen, want := range map[string][]string{
		"10.240.0.8:9443":   {"10.240.0.8"},
		"[2001:db8::8]:443": {"2001:db8::8"},
		"0.0.0.0:443":       nil,
		"[::]:443":          nil,
		":443":              nil,
	} {
		if got := listenHosts(listen); !slices.Equal(got, want) {
			t.Errorf("listenHosts(%q) = %q, want %q", listen, got, want)
		}
	}
	file := filepath.Join(t.TempDir(), "armemu.pem")
	certPEM, _, err := keptCertificate(file, listenHosts("10.240.0.8:9443"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("10.240.0.8"); err != nil {
		t.Errorf("the certificate is not valid for the --listen address: %v", err)
	}
}

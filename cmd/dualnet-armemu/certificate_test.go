package main

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestRestartKeepsTheCertificateClientsTrust(t *testing.T) {
	file := filepath.Join(t.TempDir(), "armemu.pem")
	cert1, key1, err := keptCertificate(file)
	if err != nil {
		t.Fatal(err)
	}
	cert2, key2, err := keptCertificate(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert1, cert2) || !bytes.Equal(key1, key2) {
		t.Error("a second start made a new certificate; clients given the first would stop trusting the endpoint")
	}
}

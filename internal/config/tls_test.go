package config

import (
	"strings"
	"testing"
)

func TestTLSSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // a problem naming this, or "" for a valid configuration
	}{
		{"off by default", map[string]string{}, ""},
		{"unknown mode", map[string]string{"ALLY_TLS": "on"}, "ALLY_TLS:"},
		{"acme needs domains", map[string]string{"ALLY_TLS": "acme"}, "ALLY_TLS_DOMAINS"},
		{"no wildcard", map[string]string{"ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "*.ally.test"}, "ALLY_TLS_DOMAINS"},
		{"no IP", map[string]string{"ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "10.0.0.1"}, "ALLY_TLS_DOMAINS"},
		{"plain-HTTP CA", map[string]string{"ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "ally.test", "ALLY_ACME_DIRECTORY_URL": "http://ca.test/dir"}, "ALLY_ACME_DIRECTORY_URL"},
		{"acme", map[string]string{"ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "ally.test,www.ally.test"}, ""},
		{"files needs both", map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": "c.pem"}, "ALLY_TLS_KEY_FILE"},
		{"redirect on the main address", map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": "c", "ALLY_TLS_KEY_FILE": "k", "ALLY_ADDR": ":443", "ALLY_TLS_REDIRECT_ADDR": ":443"}, "ALLY_TLS_REDIRECT_ADDR"},
		{"bad redirect address", map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": "c", "ALLY_TLS_KEY_FILE": "k", "ALLY_TLS_REDIRECT_ADDR": "80"}, "ALLY_TLS_REDIRECT_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want a problem naming %s, got %v", tt.want, err)
			}
		})
	}
}

func TestPublicURLDefaultsToHTTPSWithBuiltInTLS(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "ally.test,b.test", "ALLY_ADDR": ":443"}, "https://ally.test"},
		{map[string]string{"ALLY_TLS": "acme", "ALLY_TLS_DOMAINS": "ally.test", "ALLY_ADDR": ":8443"}, "https://ally.test:8443"},
		{map[string]string{"ALLY_TLS": "files", "ALLY_TLS_CERT_FILE": "c", "ALLY_TLS_KEY_FILE": "k", "ALLY_ADDR": "10.0.0.5:443"}, "https://10.0.0.5"},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.PublicURL != tt.want {
			t.Errorf("PublicURL = %q, want %q", c.PublicURL, tt.want)
		}
	}
}

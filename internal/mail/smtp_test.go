package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/mail"
)

var (
	mailpitOnce sync.Once
	mailpitBin  string
	mailpitErr  error
)

// buildMailpit builds the mailpit SMTP test server from its module, once per test run.
func buildMailpit(t *testing.T) string {
	t.Helper()
	mailpitOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mailpit")
		if err != nil {
			mailpitErr = err
			return
		}
		mailpitBin = filepath.Join(dir, "mailpit")
		out, err := exec.Command("go", "build", "-o", mailpitBin, "github.com/axllent/mailpit").CombinedOutput()
		if err != nil {
			mailpitErr = fmt.Errorf("build mailpit: %v\n%s", err, out)
		}
	})
	if mailpitErr != nil {
		t.Fatal(mailpitErr)
	}
	return mailpitBin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// mailpit is a running mailpit: SMTP on smtpPort, its HTTP API at api.
type mailpit struct {
	smtpPort int
	api      string
}

func startMailpit(t *testing.T, extra ...string) mailpit {
	t.Helper()
	bin := buildMailpit(t)
	sp, hp := freePort(t), freePort(t)
	args := append([]string{"--smtp", "127.0.0.1:" + strconv.Itoa(sp), "--listen", "127.0.0.1:" + strconv.Itoa(hp),
		"--database", filepath.Join(t.TempDir(), "mailpit.db"), "--quiet"}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	mp := mailpit{smtpPort: sp, api: "http://127.0.0.1:" + strconv.Itoa(hp)}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get(mp.api + "/api/v1/messages"); err == nil {
			res.Body.Close()
			if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(sp)); err == nil {
				c.Close()
				return mp
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type mailpitMessage struct {
	From    struct{ Address string }
	To      []struct{ Address string }
	Subject string
	Text    string
	HTML    string
}

// received returns the messages mailpit got, waiting for at least one.
func (mp mailpit) received(t *testing.T) []mailpitMessage {
	t.Helper()
	var list struct{ Messages []struct{ ID string } }
	deadline := time.Now().Add(30 * time.Second)
	for len(list.Messages) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("mailpit received nothing")
		}
		res, err := http.Get(mp.api + "/api/v1/messages")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		time.Sleep(50 * time.Millisecond)
	}
	var out []mailpitMessage
	for _, m := range list.Messages {
		res, err := http.Get(mp.api + "/api/v1/message/" + m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var full mailpitMessage
		json.NewDecoder(res.Body).Decode(&full)
		res.Body.Close()
		out = append(out, full)
	}
	return out
}

// TestSMTPThroughTheApp covers MAIL-2: ALLY_MAILER=smtp delivers through the job queue to
// a real SMTP server (mailpit), text and HTML intact, with authentication.
func TestSMTPThroughTheApp(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		mp := startMailpit(t, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ALLY_MAILER": "smtp", "ALLY_SMTP_HOST": "127.0.0.1", "ALLY_SMTP_PORT": strconv.Itoa(mp.smtpPort),
			"ALLY_SMTP_TLS": "none", "ALLY_SMTP_USERNAME": "ally", "ALLY_SMTP_PASSWORD": "secret",
			"ALLY_MAIL_FROM": "Ally <ally@example.com>", "ALLY_PUBLIC_URL": "https://ally.example",
		}})
		send(t, s, "ann@example.com")
		waitStatus(t, s, "ann@example.com", mail.StatusSent)
		got := mp.received(t)
		if len(got) != 1 {
			t.Fatalf("%d messages, want 1", len(got))
		}
		m := got[0]
		if m.From.Address != "ally@example.com" || len(m.To) != 1 || m.To[0].Address != "ann@example.com" || !strings.Contains(m.Subject, "Confirm") {
			t.Fatalf("envelope %+v", m)
		}
		link := "https://ally.example/verify-email?token=t0k3n"
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Fatalf("body lacks the link: text %q", m.Text)
		}
	})
}

// TestSMTPStartTLS: with starttls the sender upgrades the connection and refuses a server
// that does not offer it.
func TestSMTPStartTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	mp := startMailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls")
	msg, err := mail.Render("password_changed", map[string]any{"Name": "Ann", "ResetLink": "https://ally.example/forgot-password"})
	if err != nil {
		t.Fatal(err)
	}
	msg.To = "ann@example.com"
	cfg := mail.SMTPConfig{Host: "127.0.0.1", Port: mp.smtpPort, Security: "starttls", TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
	if _, err := mail.NewSMTP(cfg).Send(context.Background(), "Ally <ally@example.com>", msg); err != nil {
		t.Fatalf("starttls send: %v", err)
	}
	if got := mp.received(t); len(got) != 1 || !strings.Contains(got[0].Subject, "password") {
		t.Fatalf("received %+v", got)
	}

	plain := startMailpit(t)
	cfg.Port = plain.smtpPort
	if _, err := mail.NewSMTP(cfg).Send(context.Background(), "Ally <ally@example.com>", msg); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("sent in the clear to a server without STARTTLS: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and returns its files and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig is how to reach an SMTP server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// Security is starttls (required), tls (implicit TLS, usually port 465) or none.
	Security string
	// TLSConfig overrides the TLS settings (tests trust their own certificate).
	TLSConfig *tls.Config
}

// SMTP sends through an SMTP server.
type SMTP struct{ cfg SMTPConfig }

// NewSMTP returns an SMTP sender.
func NewSMTP(cfg SMTPConfig) *SMTP { return &SMTP{cfg: cfg} }

// Name implements Sender.
func (*SMTP) Name() string { return "smtp" }

// Send implements Sender: one connection per message, multipart/alternative text + HTML.
func (s *SMTP) Send(ctx context.Context, from string, m Message) (string, error) {
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return "", fmt.Errorf("smtp: sender %q: %w", from, err)
	}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	tcfg := s.cfg.TLSConfig
	if tcfg == nil {
		tcfg = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	d := &net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	if s.cfg.Security == "tls" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tcfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return "", fmt.Errorf("smtp: connect %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if s.cfg.Security == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "", fmt.Errorf("smtp: %s does not offer STARTTLS (set ALLY_SMTP_TLS=none only for a local relay)", addr)
		}
		if err := c.StartTLS(tcfg); err != nil {
			return "", fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return "", fmt.Errorf("smtp: authenticate: %w", err)
		}
	}
	msgID, raw, err := buildMIME(fromAddr, m)
	if err != nil {
		return "", err
	}
	if err := c.Mail(fromAddr.Address); err != nil {
		return "", fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return "", fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return "", fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return "", fmt.Errorf("smtp: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("smtp: end of data: %w", err)
	}
	_ = c.Quit()
	return msgID, nil
}

// buildMIME renders m as a multipart/alternative message with quoted-printable parts.
func buildMIME(from *mail.Address, m Message) (string, []byte, error) {
	if strings.ContainsAny(m.To, "\r\n") || strings.ContainsAny(m.Subject, "\r\n") {
		return "", nil, fmt.Errorf("smtp: header contains a line break")
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	msgID := "<" + hex.EncodeToString(b) + "@" + domain + ">"
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	hdr := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", m.To)
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", time.Now().Format(time.RFC1123Z))
	hdr("Message-ID", msgID)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		if part.body == "" {
			continue
		}
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return "", nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return "", nil, err
		}
		if err := qp.Close(); err != nil {
			return "", nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, err
	}
	return msgID, buf.Bytes(), nil
}

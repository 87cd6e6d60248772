package config

import (
	"fmt"
	"net/url"
	"strings"
)

func init() { RegisterValidator(validateAccounts) }

// validateAccounts checks the account, sign-in and mail settings.
func validateAccounts(c Config) []string {
	var p []string
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		p = append(p, fmt.Sprintf("ALLY_BCRYPT_COST: %d must be between 4 and 31 (default 12)", c.BcryptCost))
	}
	if c.SignupsPerIPPerDay < 1 {
		p = append(p, "ALLY_SIGNUPS_PER_IP_PER_DAY: must be at least 1")
	}
	if c.GoogleClientID != "" {
		if c.GoogleClientSecret == "" {
			p = append(p, "ALLY_GOOGLE_CLIENT_SECRET: must be set when ALLY_GOOGLE_CLIENT_ID is")
		}
		if u, err := url.Parse(c.GoogleIssuerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p = append(p, fmt.Sprintf("ALLY_GOOGLE_ISSUER_URL: %q must be an absolute URL", c.GoogleIssuerURL))
		}
	}
	switch c.Mailer {
	case "resend":
		if c.ResendAPIKey == "" {
			p = append(p, "ALLY_RESEND_API_KEY: must be set when ALLY_MAILER=resend")
		}
		if c.ResendBaseURL != "" {
			if u, err := url.Parse(c.ResendBaseURL); err != nil || u.Host == "" {
				p = append(p, fmt.Sprintf("ALLY_RESEND_BASE_URL: %q must be an absolute URL", c.ResendBaseURL))
			}
		}
	case "smtp":
		if c.SMTPHost == "" {
			p = append(p, "ALLY_SMTP_HOST: must be set when ALLY_MAILER=smtp")
		}
	}
	if (c.Mailer == "resend" || c.Mailer == "smtp") && c.MailFrom == "" {
		p = append(p, fmt.Sprintf("ALLY_MAIL_FROM: must be set when ALLY_MAILER=%s, e.g. Ally <ally@example.com>", c.Mailer))
	}
	if c.MailFrom != "" && !strings.Contains(c.MailFrom, "@") {
		p = append(p, fmt.Sprintf("ALLY_MAIL_FROM: %q is not an email address", c.MailFrom))
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		p = append(p, fmt.Sprintf("ALLY_SMTP_PORT: %d is not a port number", c.SMTPPort))
	}
	if !oneOf(c.SMTPTLS, "starttls", "tls", "none") {
		p = append(p, fmt.Sprintf("ALLY_SMTP_TLS: %q must be starttls, tls or none", c.SMTPTLS))
	}
	return p
}

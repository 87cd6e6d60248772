package app

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
)

func init() { RegisterDoctorCheck(checkMail) }

// checkMail reports how email leaves the server and whether its SMTP server answers.
func checkMail(ctx context.Context, cfg config.Config, _ *db.DB) []Check {
	switch cfg.Mailer {
	case "resend":
		return []Check{{"mail", OK, "sent through Resend from " + cfg.MailFrom}}
	case "smtp":
		addr := net.JoinHostPort(cfg.SMTPHost, strconv.Itoa(cfg.SMTPPort))
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return []Check{{"mail", Problem, fmt.Sprintf("SMTP server %s does not answer: %v", addr, err)}}
		}
		c.Close()
		return []Check{{"mail", OK, fmt.Sprintf("sent through SMTP %s (%s) from %s", addr, cfg.SMTPTLS, cfg.MailFrom)}}
	}
	return []Check{{"mail", Warning, "ALLY_MAILER=outbox: emails stay in the database (ally mail list); users get no verification or reset links"}}
}

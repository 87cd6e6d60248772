package mail

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/resend/resend-go/v2"
)

// Outbox is the embedded default sender: messages stay in the database, where operators
// read them (`ally mail list`, the admin area). Nothing leaves the server.
type Outbox struct{}

// Name implements Sender.
func (Outbox) Name() string { return "outbox" }

// Send implements Sender; the message is already stored.
func (Outbox) Send(context.Context, string, Message) (string, error) { return "", nil }

// Resend sends through the Resend API with its official SDK.
type Resend struct {
	client *resend.Client
}

// NewResend returns a Resend sender; baseURL "" is the official endpoint.
func NewResend(apiKey, baseURL string) (*Resend, error) {
	c := resend.NewCustomClient(&http.Client{Timeout: 20 * time.Second}, apiKey)
	if baseURL != "" {
		u, err := url.Parse(strings.TrimRight(baseURL, "/") + "/")
		if err != nil {
			return nil, fmt.Errorf("mail: ALLY_RESEND_BASE_URL: %w", err)
		}
		c.BaseURL = u
	}
	return &Resend{client: c}, nil
}

// Name implements Sender.
func (*Resend) Name() string { return "resend" }

// Send implements Sender. The stored message id is the idempotency key, so a retry after
// a lost response does not send twice.
func (r *Resend) Send(ctx context.Context, from string, m Message) (string, error) {
	res, err := r.client.Emails.SendWithOptions(ctx, &resend.SendEmailRequest{
		From:    from,
		To:      []string{m.To},
		Subject: m.Subject,
		Text:    m.Text,
		Html:    m.HTML,
		Tags:    []resend.Tag{{Name: "kind", Value: m.Kind}},
	}, &resend.SendEmailOptions{IdempotencyKey: m.ID})
	if err != nil {
		return "", err
	}
	return res.Id, nil
}

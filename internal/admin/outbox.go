package admin

import (
	"net/http"
	"net/mail"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/httpx"
	mailpkg "myally.app/ally/internal/mail"
	"myally.app/ally/internal/privacy"
)

// Which parts of a stored email an administrator may read is decided by its kind (the
// template it was made from). Bodies are shown only for system mails that hold neither a
// single-use link (verification, password reset, email change, sign-in links never show)
// nor anything of the user's content (task results and notices name the user's tasks).
// Subjects are shown for the kinds listed here; a kind not listed shows neither, so a new
// kind of email stays hidden until it is judged safe.
var (
	bodyVisible = map[string]bool{
		"password_changed":      true, // links only to the page where one asks for a reset
		"email_change_notice":   true,
		"email_change_existing": true,
		"signup_existing":       true,
		"policy_change":         true, // the same notice to everyone, linking to public pages
	}
	subjectVisible = map[string]bool{
		"verify_email":        true,
		"password_reset":      true,
		"email_change_verify": true,
	}
)

func init() {
	for _, k := range privacy.NoticeKinds {
		bodyVisible[k] = true
	}
	for k := range bodyVisible {
		subjectVisible[k] = true
	}
}

// OutboxMessage is a stored email as the admin area shows it.
type OutboxMessage struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	To         string    `json:"to"`
	Subject    string    `json:"subject"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	BodyHidden bool      `json:"body_hidden"`
	Text       string    `json:"text"`
	HTML       string    `json:"html"`
}

// hiddenSubject stands in for a subject an administrator may not read.
const hiddenSubject = "(hidden: this kind of email can hold the user's content)"

func (s *Service) handleOutbox(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	to := r.URL.Query().Get("to")
	if to != "" {
		if _, err := mail.ParseAddress(to); err != nil {
			httpx.Error(w, r, errs.InvalidField("to", "to must be an email address"))
			return
		}
	}
	stored, err := s.d.Outbox(r.Context(), mailpkg.Filter{To: to, Limit: limit})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := make([]OutboxMessage, 0, len(stored))
	for _, m := range stored {
		o := OutboxMessage{ID: m.ID, Kind: m.Kind, To: m.To, Subject: m.Subject, Status: m.Status, CreatedAt: m.CreatedAt}
		if !subjectVisible[m.Kind] {
			o.Subject = hiddenSubject
		}
		if bodyVisible[m.Kind] {
			o.Text, o.HTML = m.Text, m.HTML
		} else {
			o.BodyHidden = true
		}
		out = append(out, o)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"messages": out})
}

package privacy

import (
	"bytes"
	"context"
	"database/sql"
	htmltemplate "html/template"
	"strings"
	"text/template"
	"time"

	"myally.app/ally/internal/mail"
)

// The emails of deletion and recovery (MAIL-1).
const (
	deletionScheduled = "account_deletion_scheduled"
	deletionCancelled = "account_recovered"
	// deletionByOperator is the email of a deletion an administrator made.
	deletionByOperator = "account_deleted_by_operator"
)

// NoticeKinds are the kinds of email this package sends; none holds a single-use link or
// the user's content, so administrators may read them in the outbox.
var NoticeKinds = []string{deletionScheduled, deletionCancelled, deletionByOperator}

type notice struct {
	subject string
	text    *template.Template
	html    *htmltemplate.Template
}

var notices = map[string]notice{
	deletionScheduled: {
		subject: "Your Ally account will be deleted",
		text: template.Must(template.New("").Parse(`Hello {{.Name}},

Your Ally account has been deleted: you are signed out everywhere and your assistant has stopped.

Changed your mind? Sign in with your email address and password before {{.Until}} to recover the account with all its data.

After that date everything we hold about you (conversations, memory files, usage, feedback, sign-in history and the account itself) is permanently erased.

If you did not ask for this, recover the account now and change your password.
`)),
		html: htmltemplate.Must(htmltemplate.New("").Parse(`<p>Hello {{.Name}},</p>
<p>Your Ally account has been deleted: you are signed out everywhere and your assistant has stopped.</p>
<p>Changed your mind? Sign in with your email address and password before <strong>{{.Until}}</strong> to recover the account with all its data.</p>
<p>After that date everything we hold about you (conversations, memory files, usage, feedback, sign-in history and the account itself) is permanently erased.</p>
<p>If you did not ask for this, recover the account now and change your password.</p>
`)),
	},
	deletionByOperator: {
		subject: "Your Ally account has been deleted",
		text: template.Must(template.New("").Parse(`Hello {{.Name}},

The operator of this Ally service has deleted your account: you are signed out everywhere and your assistant has stopped.

The reason given: {{.Reason}}

After {{.Until}} everything we hold about you (conversations, memory files, usage, feedback, sign-in history and the account itself) is permanently erased.

If you believe this is a mistake, reply to this email or contact the operator before that date.
`)),
		html: htmltemplate.Must(htmltemplate.New("").Parse(`<p>Hello {{.Name}},</p>
<p>The operator of this Ally service has deleted your account: you are signed out everywhere and your assistant has stopped.</p>
<p>The reason given: {{.Reason}}</p>
<p>After <strong>{{.Until}}</strong> everything we hold about you (conversations, memory files, usage, feedback, sign-in history and the account itself) is permanently erased.</p>
<p>If you believe this is a mistake, reply to this email or contact the operator before that date.</p>
`)),
	},
	deletionCancelled: {
		subject: "Your Ally account is recovered",
		text: template.Must(template.New("").Parse(`Hello {{.Name}},

Your Ally account has been recovered and will not be deleted. Everything is as you left it.

If you did not do this, change your password now.
`)),
		html: htmltemplate.Must(htmltemplate.New("").Parse(`<p>Hello {{.Name}},</p>
<p>Your Ally account has been recovered and will not be deleted. Everything is as you left it.</p>
<p>If you did not do this, change your password now.</p>
`)),
	},
}

// notify queues the email of kind to the account's address inside tx.
func (s *Service) notify(ctx context.Context, tx *sql.Tx, a account, kind string, until time.Time) error {
	if s.mail == nil {
		return nil
	}
	n := notices[kind]
	data := map[string]string{"Name": a.name, "Until": until.UTC().Format("2 January 2006, 15:04 UTC"), "Reason": a.reason}
	var text, html bytes.Buffer
	if err := n.text.Execute(&text, data); err != nil {
		return err
	}
	if err := n.html.Execute(&html, data); err != nil {
		return err
	}
	return s.mail.Enqueue(ctx, tx, mail.Message{
		Kind: kind, UserID: a.id, To: a.email, Subject: n.subject,
		Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String(),
	})
}

package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
)

// Each kind of message has templates/<kind>.txt, which defines "subject" and the text
// body, and templates/<kind>.html, which defines "content" for the shared HTML layout.
//
//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

type compiled struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var (
	tmplMu    sync.Mutex
	tmplCache = map[string]compiled{}
)

func load(kind string) (compiled, error) {
	tmplMu.Lock()
	defer tmplMu.Unlock()
	if c, ok := tmplCache[kind]; ok {
		return c, nil
	}
	t, err := texttemplate.ParseFS(templateFS, "templates/"+kind+".txt")
	if err != nil {
		return compiled{}, fmt.Errorf("mail: template %s: %w", kind, err)
	}
	h, err := htmltemplate.ParseFS(templateFS, "templates/layout.html", "templates/"+kind+".html")
	if err != nil {
		return compiled{}, fmt.Errorf("mail: template %s: %w", kind, err)
	}
	c := compiled{text: t.Option("missingkey=error"), html: h.Option("missingkey=error")}
	tmplCache[kind] = c
	return c, nil
}

// Render fills the templates of a kind of message with data. Values are escaped in the
// HTML part, so a user's name cannot inject markup.
func Render(kind string, data map[string]any) (Message, error) {
	c, err := load(kind)
	if err != nil {
		return Message{}, err
	}
	var subj, text, html bytes.Buffer
	if err := c.text.ExecuteTemplate(&subj, "subject", data); err != nil {
		return Message{}, fmt.Errorf("mail: render %s subject: %w", kind, err)
	}
	if err := c.text.ExecuteTemplate(&text, kind+".txt", data); err != nil {
		return Message{}, fmt.Errorf("mail: render %s text: %w", kind, err)
	}
	if err := c.html.ExecuteTemplate(&html, "layout", data); err != nil {
		return Message{}, fmt.Errorf("mail: render %s html: %w", kind, err)
	}
	return Message{
		Kind:    kind,
		Subject: strings.Join(strings.Fields(subj.String()), " "),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}

package mail

import (
	"io/fs"
	"strings"
	"testing"
)

// TestEveryTemplateRenders renders each kind with typical data: both parts are filled,
// and a hostile name is escaped in the HTML part.
func TestEveryTemplateRenders(t *testing.T) {
	entries, err := fs.Glob(templateFS, "templates/*.txt")
	if err != nil || len(entries) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	data := map[string]any{
		"Name": `<script>alert(1)</script>`, "Link": "https://ally.example/x?token=abc", "NewEmail": "new@example.com",
		"ResetLink": "https://ally.example/forgot-password", "LoginLink": "https://ally.example/login",
		"Title": "Morning news", "Text": "Your summary", "When": "Monday 8:00", "Reason": "five failed runs",
		"Body": "We now keep logs for 7 days.", "Paragraphs": []string{"<script>alert(2)</script>"}, "Effective": "1 January 2027",
		"Operator": "Example Ltd", "EntryLink": "https://ally.example/whats-new#entry-1", "PrivacyLink": "https://ally.example/privacy",
		"TermsLink": "https://ally.example/terms",
	}
	for _, e := range entries {
		kind := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".txt")
		t.Run(kind, func(t *testing.T) {
			m, err := Render(kind, data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject == "" || strings.Contains(m.Subject, "\n") || m.Text == "" || !strings.Contains(m.HTML, "<html") {
				t.Fatalf("incomplete message: %+v", m)
			}
			if strings.Contains(m.HTML, "<script>") {
				t.Fatal("the name was not escaped in HTML")
			}
		})
	}
	if _, err := Render("verify_email", map[string]any{"Name": "x"}); err == nil {
		t.Fatal("a missing value rendered silently")
	}
}

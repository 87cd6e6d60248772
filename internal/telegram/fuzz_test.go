package telegram_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/telegram"
	"myally.app/ally/internal/telegram/tgtest"
)

var markdownSeeds = []string{
	`<script>alert("x")</script>`, "Tom & Jerry &amp; co", "2 * 3 = 6 and *not closed", "**bold** and *it* and _also_",
	"run `a*b <c>` now", "```go\nif a < b && c {\n\t**x**\n}\n```", "```\nstill streaming <b>", "# Title\n- one\n* two\n+ three",
	"[site](https://example.com/a_b*c) and [bad](javascript:alert(1))", "~~gone~~ **unclosed", "é日本👋 " + strings.Repeat("word ", 50),
	"a\n\nb\n\n```\ncode\n\n\nmore\n```\n\nc", "```", "****", "```go\n```",
}

// FuzzToHTML converts any reply text: the result always parses as the Telegram HTML the
// Bot API accepts (only its tags, balanced, entities valid), and its visible text is never
// longer than the source, so Split's limit holds for what Telegram counts.
func FuzzToHTML(f *testing.F) {
	for _, s := range markdownSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		if !utf8.ValidString(md) || strings.TrimSpace(md) == "" {
			return // replies are valid UTF-8 (chat refuses anything else); an empty one is never sent
		}
		out := telegram.ToHTML(md)
		if err := tgtest.CheckHTML(out); err != nil {
			t.Fatalf("ToHTML(%q) = %q, which Telegram refuses: %v", md, out, err)
		}
		vis, err := tgtest.Visible(out)
		if err != nil {
			t.Fatal(err)
		}
		if n, m := len(utf16.Encode([]rune(vis))), len(utf16.Encode([]rune(md))); n > m {
			t.Fatalf("visible text of %q is %d units, longer than its %d", md, n, m)
		}
	})
}

// FuzzSplit cuts any reply: every piece fits Telegram's limit, none is empty, and no
// visible character is lost or invented (only whitespace between pieces and the fences
// of a code block reopened across a cut may change).
func FuzzSplit(f *testing.F) {
	for _, s := range markdownSeeds {
		f.Add(s, 64)
	}
	f.Add(strings.Repeat("A sentence. ", 600), telegram.MaxMessage)
	f.Add("```\n"+strings.Repeat("x", 300)+"\n```", 100)
	f.Fuzz(func(t *testing.T, md string, limit int) {
		if !utf8.ValidString(md) || strings.TrimSpace(md) == "" || limit < 32 || limit > telegram.MaxMessage {
			return // callers send "(No reply.)" rather than split an empty reply
		}
		parts := telegram.Split(md, limit)
		var joined strings.Builder
		for _, p := range parts {
			if n := len(utf16.Encode([]rune(p))); n > limit {
				t.Fatalf("a piece of %d units is over the limit %d: %q", n, limit, p)
			}
			if strings.TrimSpace(p) == "" {
				t.Fatalf("an empty piece in %q", parts)
			}
			joined.WriteString(p)
		}
		squash := func(s string) string {
			return strings.Join(strings.Fields(strings.ReplaceAll(s, "```", "")), "")
		}
		if got, want := squash(joined.String()), squash(md); got != want {
			t.Fatalf("Split changed the text:\n got %q\nwant %q", got, want)
		}
	})
}

// FuzzWebhookUpdate posts any body to the webhook with the right secret, on a real
// instance with a linked chat: the answer is 200 (handled or ignored) or 400 (not an
// update), never a crash or a 500.
func FuzzWebhookUpdate(f *testing.F) {
	h := start(f, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(f.TempDir(), "ally.db")}}, false)
	_, tok := newUser(f, h)
	chat := tgtest.Private(5550001)
	h.link(f, tok, chat)
	stranger := tgtest.Private(5550002)
	for _, u := range []map[string]any{
		h.tg.TextUpdate(chat, "hello"),
		h.tg.TextUpdate(stranger, "/start nope"),
		h.tg.Update("edited_message", chat, map[string]any{"text": "edited"}),
		h.tg.Update("message", chat, map[string]any{"sticker": map[string]any{"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1}}),
		h.tg.Update("message", tgtest.Group(7003), map[string]any{"text": "/help"}),
	} {
		f.Add(mustJSON(f, u))
	}
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"date":0,"chat":{"id":5550001,"type":"private"},"text":"` + strings.Repeat("é", 5000) + `"}}`))
	f.Add([]byte(`{"update_id":-1,"message":null}`))
	f.Add([]byte(`{"update_id":"x"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if st := h.post(t, body, webhookSecret); st != http.StatusOK && st != http.StatusBadRequest {
			t.Fatalf("webhook answered %d to %q", st, body)
		}
	})
}

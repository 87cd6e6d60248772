package telegram_test

import (
	"strings"
	"testing"

	"myally.app/ally/internal/telegram"
	"myally.app/ally/internal/telegram/tgtest"
)

// Replies become Telegram HTML that Telegram accepts: markdown converted, everything else
// escaped, unpaired markers left as text, code literal.
func TestToHTML(t *testing.T) {
	cases := []struct{ name, md, want, visible string }{
		{"script is text", `<script>alert("x")</script>`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`, `<script>alert(?x?)</script>`},
		{"ampersand", "Tom & Jerry &amp; co", "Tom &amp; Jerry &amp;amp; co", "Tom & Jerry &amp; co"},
		{"unbalanced star", "2 * 3 = 6 and *not closed", "2 * 3 = 6 and *not closed", ""},
		{"bold and italic", "**bold** and *it* and _also_", "<b>bold</b> and <i>it</i> and <i>also</i>", "bold and it and also"},
		{"inline code keeps markers", "run `a*b <c>` now", "run <code>a*b &lt;c&gt;</code> now", "run a*b <c> now"},
		{"code block", "```go\nif a < b && c {\n\t**x**\n}\n```", "<pre><code class=\"language-go\">if a &lt; b &amp;&amp; c {\n\t**x**\n}</code></pre>", ""},
		{"unclosed code block while streaming", "look:\n```\nx < 1", "look:\n<pre><code>x &lt; 1</code></pre>", ""},
		{"link", "see [docs](https://example.com/a_b_c) here", `see <a href="https://example.com/a_b_c">docs</a> here`, "see docs here"},
		{"javascript link stays text", "[x](javascript:alert(1))", "[x](javascript:alert(1))", ""},
		{"heading and bullets", "# Plan\n- one\n* two", "<b>Plan</b>\n• one\n• two", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := telegram.ToHTML(c.md)
			if got != c.want {
				t.Fatalf("ToHTML(%q)\n got %q\nwant %q", c.md, got, c.want)
			}
			vis, err := tgtest.Visible(got)
			if err != nil {
				t.Fatalf("Telegram would refuse %q: %v", got, err)
			}
			if c.visible != "" && vis != c.visible {
				t.Fatalf("visible %q, want %q", vis, c.visible)
			}
		})
	}
}

// Long replies are split at 4,096 characters on paragraph, then sentence boundaries; a
// long code block is closed and reopened; every piece renders and nothing is lost.
func TestSplit(t *testing.T) {
	para := strings.Repeat("This is a sentence. ", 150) // 3,000 characters
	code := "```\n" + strings.Repeat("line of code\n", 500) + "```"
	long := strings.Repeat("word ", 2000)
	for name, md := range map[string]string{
		"paragraphs":   para + "\n\n" + para + "\n\n" + para,
		"sentences":    strings.Repeat("Short one. ", 1000),
		"code":         "Here:\n\n" + code,
		"one word run": long,
		"emoji":        strings.Repeat("😀", 5000),
	} {
		t.Run(name, func(t *testing.T) {
			parts := telegram.Split(md, telegram.MaxMessage)
			if len(parts) < 2 {
				t.Fatalf("%d parts", len(parts))
			}
			var words int
			for i, p := range parts {
				vis, err := tgtest.Visible(telegram.ToHTML(p))
				if err != nil {
					t.Fatalf("part %d refused: %v", i, err)
				}
				if n := len([]rune(vis)); n == 0 {
					t.Fatalf("part %d empty", i)
				}
				words += letters(p)
				if name == "paragraphs" && !strings.HasSuffix(p, ".") {
					t.Fatalf("part %d not cut at a sentence end: …%q", i, p[len(p)-10:])
				}
			}
			if want := letters(md); words != want {
				t.Fatalf("%d characters after splitting, %d before", words, want)
			}
		})
	}
}

// letters counts the characters of md other than spaces and code fences.
func letters(md string) int {
	return len([]rune(strings.Join(strings.Fields(strings.ReplaceAll(md, "```", "")), "")))
}

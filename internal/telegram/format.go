package telegram

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// MaxMessage is Telegram's limit on a message's text, in UTF-16 code units.
const MaxMessage = 4096

// textLen counts s as Telegram does (UTF-16 code units).
func textLen(s string) int { return len(utf16.Encode([]rune(s))) }

var (
	linkRe   = regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^)\s]+)\)`)
	boldRe   = regexp.MustCompile(`\*\*([^*\n]+?)\*\*|__([^_\n]+?)__`)
	italicRe = regexp.MustCompile(`(^|[^\w*])\*([^*\s][^*\n]*?)\*|(^|[^\w_])_([^_\s][^_\n]*?)_`)
	strikeRe = regexp.MustCompile(`~~([^~\n]+?)~~`)
	headRe   = regexp.MustCompile(`^#{1,6}\s+(.*)$`)
	bulletRe = regexp.MustCompile(`^(\s*)[-*+]\s+`)
)

// ToHTML converts a reply's markdown to Telegram's HTML parse mode: fenced and inline code,
// bold, italic, strikethrough, http(s) links, headings (bold) and bullets. Everything else
// is escaped, markers that do not pair stay as text, and an unclosed code fence (a reply
// still streaming) runs to the end, so the result always parses.
func ToHTML(md string) string {
	var out strings.Builder
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if lang, ok := fence(line); ok {
			var code []string
			for i++; i < len(lines); i++ {
				if _, end := fence(lines[i]); end && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(lines[i]), "`")) == "" {
					break
				}
				code = append(code, lines[i])
			}
			out.WriteString("<pre>")
			if lang != "" {
				out.WriteString(`<code class="language-` + html.EscapeString(lang) + `">`)
			} else {
				out.WriteString("<code>")
			}
			out.WriteString(html.EscapeString(strings.Join(code, "\n")))
			out.WriteString("</code></pre>")
			if i < len(lines)-1 {
				out.WriteString("\n")
			}
			continue
		}
		if m := headRe.FindStringSubmatch(line); m != nil {
			out.WriteString("<b>" + inline(m[1]) + "</b>")
		} else if m := bulletRe.FindStringSubmatch(line); m != nil {
			out.WriteString(m[1] + "• " + inline(line[len(m[0]):]))
		} else {
			out.WriteString(inline(line))
		}
		if i < len(lines)-1 {
			out.WriteString("\n")
		}
	}
	// Markers around nothing (an empty code block, "****") would leave a message Telegram
	// refuses as empty: then the markers themselves are the text.
	if strings.TrimSpace(tagRe.ReplaceAllString(out.String(), "")) == "" && strings.TrimSpace(md) != "" {
		return html.EscapeString(md)
	}
	return out.String()
}

// tagRe matches the tags ToHTML writes (its output is well formed).
var tagRe = regexp.MustCompile(`<[^>]*>`)

// fence reports whether line opens or closes a code fence, and its language.
func fence(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "```") {
		return "", false
	}
	lang := strings.TrimSpace(strings.TrimLeft(t, "`"))
	if i := strings.IndexAny(lang, " \t"); i >= 0 {
		lang = lang[:i]
	}
	return lang, true
}

// inline converts one line: code spans first (their content is literal), then the rest.
func inline(s string) string {
	var out strings.Builder
	for {
		start := strings.IndexByte(s, '`')
		if start < 0 {
			break
		}
		end := strings.IndexByte(s[start+1:], '`')
		if end < 0 {
			break
		}
		out.WriteString(emphasis(s[:start]))
		out.WriteString("<code>" + html.EscapeString(s[start+1:start+1+end]) + "</code>")
		s = s[start+end+2:]
	}
	out.WriteString(emphasis(s))
	return out.String()
}

// emphasis escapes s and converts the markers that pair. Markers are matched on the
// escaped text: escaping never creates or removes *, _, ~, [, ] or parentheses.
func emphasis(s string) string {
	e := html.EscapeString(strings.ReplaceAll(s, "\x00", ""))
	// Links become placeholders first, so emphasis markers in a URL stay untouched.
	var links []string
	e = linkRe.ReplaceAllStringFunc(e, func(m string) string {
		p := linkRe.FindStringSubmatch(m)
		links = append(links, `<a href="`+p[2]+`">`+p[1]+`</a>`)
		return "\x00" + strconv.Itoa(len(links)-1) + "\x00"
	})
	e = boldRe.ReplaceAllString(e, "<b>$1$2</b>")
	e = strikeRe.ReplaceAllString(e, "<s>$1</s>")
	e = italicRe.ReplaceAllString(e, "$1<i>$2</i>$3<i>$4</i>")
	e = strings.ReplaceAll(e, "<i></i>", "")
	for i, l := range links {
		e = strings.Replace(e, "\x00"+strconv.Itoa(i)+"\x00", l, 1)
	}
	return e
}

// Split cuts a reply's markdown into pieces of at most limit UTF-16 units, on paragraph
// boundaries where it can, else on sentence or line boundaries, else hard; a code block
// cut in two is closed and reopened so each piece renders on its own. The source length
// bounds the visible length of its HTML (conversion only removes markers).
func Split(md string, limit int) []string {
	md = strings.TrimSpace(md)
	if textLen(md) <= limit {
		return []string{md}
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, t)
		}
		cur.Reset()
	}
	for _, block := range blocks(md) {
		sep := ""
		if cur.Len() > 0 {
			sep = "\n\n"
		}
		if textLen(cur.String())+textLen(sep)+textLen(block) <= limit {
			cur.WriteString(sep + block)
			continue
		}
		flush()
		for _, piece := range cutBlock(block, limit) {
			if textLen(cur.String())+textLen(piece)+2 > limit {
				flush()
			}
			if cur.Len() > 0 {
				cur.WriteString("\n\n")
			}
			cur.WriteString(piece)
		}
	}
	flush()
	return out
}

// blocks splits markdown into paragraphs, keeping each fenced code block whole.
func blocks(md string) []string {
	var out []string
	var cur []string
	inCode := false
	for _, line := range strings.Split(md, "\n") {
		if _, ok := fence(line); ok {
			inCode = !inCode
		}
		if !inCode && strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, "\n"))
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, "\n"))
	}
	return out
}

// cutBlock cuts one oversized block: a code block by lines (each piece fenced again),
// text at the last sentence end, line break or space within the limit.
func cutBlock(b string, limit int) []string {
	first, body, multiline := strings.Cut(b, "\n")
	if lang, ok := fence(first); ok && multiline {
		body = strings.TrimSuffix(body, "```")
		open, closing := "```"+lang+"\n", "\n```"
		// A fence whose language leaves no room to repeat it is cut as text.
		if inner := limit - textLen(open) - textLen(closing); inner >= limit/2 {
			var out []string
			for _, p := range cutText(body, inner) {
				out = append(out, open+p+closing)
			}
			return out
		}
	}
	return cutText(b, limit)
}

func cutText(s string, limit int) []string {
	if limit < 1 {
		limit = 1
	}
	var out []string
	for textLen(s) > limit {
		r := []rune(s)
		n := 0
		cut := 0
		for i, c := range r {
			n += len(utf16.Encode([]rune{c}))
			if n > limit {
				break
			}
			cut = i + 1
		}
		if cut == 0 {
			cut = 1 // a character wider than the limit still moves on
		}
		head := string(r[:cut])
		at := -1
		for _, sep := range []string{". ", "! ", "? ", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > 0 {
				at = i + len(sep)
				break
			}
		}
		if at <= 0 {
			at = len(head)
		}
		out = append(out, strings.TrimRight(s[:at], " \n"))
		s = strings.TrimLeft(s[at:], " \n")
	}
	if strings.TrimSpace(s) != "" {
		out = append(out, s)
	}
	return out
}

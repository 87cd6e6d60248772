package tgtest

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// allowedTags are the tags of Telegram's HTML parse mode.
var allowedTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true, "a": true, "code": true,
	"pre": true, "blockquote": true, "tg-emoji": true}

// checkText checks a message text as Telegram does: not empty, entities parse (HTML mode:
// only the supported tags, balanced, and only &lt; &gt; &amp; &quot; and numeric entities),
// at most MaxText UTF-16 units once parsed. It returns the visible text.
func checkText(text, parseMode string) (string, *Failure) {
	visible := text
	if strings.EqualFold(parseMode, "HTML") {
		v, err := parseHTML(text)
		if err != nil {
			return "", &Failure{Code: 400, Description: "Bad Request: can't parse entities: " + err.Error()}
		}
		visible = v
	}
	if strings.TrimSpace(visible) == "" {
		return "", &Failure{Code: 400, Description: "Bad Request: message text is empty"}
	}
	if len(utf16.Encode([]rune(visible))) > MaxText {
		return "", &Failure{Code: 400, Description: "Bad Request: message is too long"}
	}
	return visible, nil
}

func parseHTML(s string) (string, error) {
	var out strings.Builder
	var stack []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			i += end + 1
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				name = strings.TrimSpace(name)
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return "", fmt.Errorf("unexpected end tag %q", name)
				}
				stack = stack[:len(stack)-1]
				continue
			}
			name, _, _ := strings.Cut(tag, " ")
			if !allowedTags[name] {
				return "", fmt.Errorf("unsupported start tag %q", name)
			}
			stack = append(stack, name)
		case '>':
			return "", fmt.Errorf("character '>' is reserved and must be escaped")
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 {
				return "", fmt.Errorf("character '&' at byte offset %d is not an entity", i)
			}
			switch ent := s[i+1 : i+end]; ent {
			case "lt":
				out.WriteByte('<')
			case "gt":
				out.WriteByte('>')
			case "amp":
				out.WriteByte('&')
			case "quot":
				out.WriteByte('"')
			default:
				if !strings.HasPrefix(ent, "#") || len(ent) < 2 {
					return "", fmt.Errorf("unsupported entity %q", ent)
				}
				out.WriteByte('?')
			}
			i += end + 1
		default:
			out.WriteByte(s[i])
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag %q", stack[len(stack)-1])
	}
	return out.String(), nil
}

// CheckHTML reports whether Telegram would accept text in HTML parse mode.
func CheckHTML(text string) error {
	if _, f := checkText(text, "HTML"); f != nil {
		return fmt.Errorf("%s", f.Description)
	}
	return nil
}

// Visible returns the text Telegram shows for an HTML message (tags removed, entities
// decoded), or the error it would answer.
func Visible(text string) (string, error) {
	v, f := checkText(text, "HTML")
	if f != nil {
		return "", fmt.Errorf("%s", f.Description)
	}
	return v, nil
}

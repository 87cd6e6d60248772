package llmtest

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ScriptOptions shape the default reply script.
type ScriptOptions struct {
	// ReplyWords is the length of an ordinary reply in words (default 40).
	ReplyWords int
	// FirstTokenDelay and ChunkDelay pace every reply in real time.
	FirstTokenDelay time.Duration
	ChunkDelay      time.Duration
}

// MemoryPath is where the default script asks the memory tool to write.
const MemoryPath = "/memories/notes.md"

const filler = "This reply comes from the fake model and streams word by word so that every part of the chat can be exercised without a real provider."

// DefaultResponder returns the reply script of the fake model:
//
//   - when the last message is a tool result, it confirms: "Done: I have saved that to
//     memory." (or reports the tool's error);
//   - when the user asks it to remember something ("remember that I like tea") and the
//     request offers a tool named "memory", it says "I'll remember that." and calls the
//     memory tool with {"command":"create","path":"/memories/notes.md","file_text":...}
//     holding what followed the word "remember";
//   - when asked for a conversation's title (the message starts with TitleRequestStart),
//     it answers TitleFor the person's first message;
//   - otherwise it echoes the start of the user's message ("You said: …") and pads the
//     reply with filler text up to ReplyWords words.
func DefaultResponder(o ScriptOptions) func(in *Incoming) Reply {
	if o.ReplyWords <= 0 {
		o.ReplyWords = 40
	}
	return func(in *Incoming) Reply {
		r := Reply{FirstTokenDelay: o.FirstTokenDelay, ChunkDelay: o.ChunkDelay}
		text := strings.TrimSpace(in.LastText)
		switch {
		case in.HasTool("record_review"):
			return reviewReply(text)
		case strings.HasPrefix(text, TitleRequestStart):
			r.Text = TitleFor(titledMessage(text))
		case in.LastIsToolResult:
			if strings.Contains(strings.ToLower(text), "error") {
				r.Text = "The memory tool reported a problem: " + clip(text, 200)
			} else {
				r.Text = "Done: I have saved that to memory."
			}
		case in.HasTool("memory") && rememberWhat(text) != "":
			input, _ := json.Marshal(map[string]string{"command": "create", "path": MemoryPath, "file_text": rememberWhat(text) + "\n"})
			r.Text = "I'll remember that."
			r.ToolCalls = []ToolCall{{Name: "memory", Input: string(input)}}
		default:
			r.Text = padWords("You said: "+clip(text, 200), o.ReplyWords)
		}
		return r
	}
}

// rememberWhat returns what follows "remember" (and an optional "that"), or "".
func rememberWhat(text string) string {
	i := strings.Index(strings.ToLower(text), "remember")
	if i < 0 {
		return ""
	}
	rest := strings.TrimSpace(text[i+len("remember"):])
	if strings.HasPrefix(strings.ToLower(rest), "that ") {
		rest = strings.TrimSpace(rest[5:])
	}
	return strings.TrimRight(rest, ".!? ")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// padWords extends s with filler until it has n words.
func padWords(s string, n int) string {
	words := strings.Fields(s)
	fill := strings.Fields(filler)
	for i := 0; len(words) < n; i++ {
		words = append(words, fill[i%len(fill)])
	}
	return strings.Join(words, " ")
}

// TitleRequestStart opens the request that titles a conversation from its first exchange
// ("<first_exchange>\nPerson: …\n\nAssistant: …").
const TitleRequestStart = "<first_exchange>"

// titledMessage is the person's message in a title request.
func titledMessage(text string) string {
	_, rest, _ := strings.Cut(text, "Person: ")
	msg, _, _ := strings.Cut(rest, "\n\nAssistant:")
	return strings.TrimSuffix(strings.TrimSpace(msg), "</first_exchange>")
}

// TitleFor is the fake model's title of a conversation opened by message: its first four
// words of more than three letters (in the message's own language), punctuation dropped,
// the first capitalised, as a model in a hurry would title it; "New conversation" when
// there are none.
func TitleFor(message string) string {
	var words []string
	for _, w := range strings.Fields(message) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if utf8.RuneCountInString(w) > 3 {
			words = append(words, strings.ToLower(w))
		}
		if len(words) == 4 {
			break
		}
	}
	if len(words) == 0 {
		return "New conversation"
	}
	r, n := utf8.DecodeRuneInString(words[0])
	words[0] = string(unicode.ToUpper(r)) + words[0][n:]
	return strings.Join(words, " ")
}

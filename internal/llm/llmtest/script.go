package llmtest

import (
	"encoding/json"
	"strings"
	"time"
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

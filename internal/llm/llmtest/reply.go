package llmtest

import (
	"strings"
	"time"

	"myally.app/ally/internal/llm"
)

// Provider names a wire protocol the fake server speaks.
type Provider string

// The three protocols.
const (
	Anthropic Provider = "anthropic"
	OpenAI    Provider = "openai"
	Gemini    Provider = "gemini"
)

// ToolCall is a tool call the fake model makes.
type ToolCall struct {
	ID   string
	Name string
	// Input is the JSON object of arguments.
	Input string
	// Signature is sent as the call's thoughtSignature (Gemini only).
	Signature []byte
}

// Reply scripts one response of the fake model: what it says, which tools it calls, what
// usage it reports, and how it fails.
type Reply struct {
	Text      string
	ToolCalls []ToolCall
	// Stop overrides the stop reason; default end_turn, or tool_use with tool calls.
	Stop llm.StopReason
	// Usage is reported as is, except that zero InputTokens and OutputTokens are filled
	// with estimates (request bytes / 4, and the number of chunks).
	Usage llm.Usage

	// Status answers with this HTTP status and the provider's error body, no stream.
	Status int
	// ErrorType is the provider error type of a failure (default: one fitting Status, or
	// overloaded_error mid-stream).
	ErrorType    string
	ErrorMessage string
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string

	// MidStreamError sends the provider's error event after FailAfter text chunks.
	MidStreamError bool
	FailAfter      int
	// Disconnect drops the connection after DisconnectAfter text chunks.
	Disconnect      bool
	DisconnectAfter int
	// Stall sends the response headers (or, with StallBeforeHeaders, nothing) and then
	// waits until the client goes away.
	Stall              bool
	StallBeforeHeaders bool

	// FirstTokenDelay and ChunkDelay pace the stream in real time (for the command and
	// manual testing; tests script failures instead of timing).
	FirstTokenDelay time.Duration
	ChunkDelay      time.Duration

	// cached: Usage came from the prompt cache, so a zero InputTokens is exact.
	cached bool
}

func (r *Reply) stop() llm.StopReason {
	if r.Stop != "" {
		return r.Stop
	}
	if len(r.ToolCalls) > 0 {
		return llm.StopToolUse
	}
	return llm.StopEndTurn
}

// Chunks splits text the way a model streams it: word by word, each word keeping the
// space before it.
func Chunks(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// Incoming is what the fake understood of a request, whatever its protocol.
type Incoming struct {
	Provider Provider
	Model    string
	// LastText is the text of the last message, LastIsToolResult whether it answers a
	// tool call.
	LastText         string
	LastIsToolResult bool
	// Tools lists the names of the tools offered.
	Tools []string
	// Bytes is the size of the request body.
	Bytes int
}

// HasTool reports whether the request offered the named tool.
func (in *Incoming) HasTool(name string) bool {
	for _, t := range in.Tools {
		if t == name {
			return true
		}
	}
	return false
}

func joinText(parts []string) string { return strings.Join(parts, "\n") }

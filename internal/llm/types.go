package llm

import "encoding/json"

// Role says who wrote a message.
type Role string

// The two roles of a conversation; system text travels separately in Request.System.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// PartType says what a Part holds.
type PartType string

// The kinds of message parts every provider understands.
const (
	PartText       PartType = "text"
	PartToolUse    PartType = "tool_use"
	PartToolResult PartType = "tool_result"
)

// Part is one piece of a message: text, a tool call made by the assistant, or the result
// of a tool call sent back by the user side.
type Part struct {
	Type PartType `json:"type"`
	// Text is the text of a text part, or the content of a tool result.
	Text string `json:"text,omitempty"`
	// ToolCallID links a tool result to the tool call it answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// ToolName names the tool of a tool call (and of its result: Gemini needs it).
	ToolName string `json:"tool_name,omitempty"`
	// Input holds the JSON arguments of a tool call.
	Input json.RawMessage `json:"input,omitempty"`
	// IsError marks a tool result that reports a failure.
	IsError bool `json:"is_error,omitempty"`
	// Signature is opaque provider state attached to a tool call (Gemini's thought
	// signature), to be sent back unchanged with the conversation. Keep it when storing
	// the message.
	Signature []byte `json:"signature,omitempty"`
	// Volatile marks a text part that changes between turns (today's date, the memory
	// index) and is sent with the latest message only: Anthropic's cache breakpoint goes
	// on the block before it, so it never invalidates the cached history. It is never
	// stored.
	Volatile bool `json:"-"`
}

// TextPart returns a text part.
func TextPart(text string) Part { return Part{Type: PartText, Text: text} }

// VolatilePart returns a text part that changes between turns (see Part.Volatile).
func VolatilePart(text string) Part { return Part{Type: PartText, Text: text, Volatile: true} }

// ToolUsePart returns the part for a tool call the assistant made.
func ToolUsePart(id, name string, input json.RawMessage) Part {
	return Part{Type: PartToolUse, ToolCallID: id, ToolName: name, Input: input}
}

// ToolResultPart returns the part that answers tool call id (of tool name).
func ToolResultPart(id, name, content string, isError bool) Part {
	return Part{Type: PartToolResult, ToolCallID: id, ToolName: name, Text: content, IsError: isError}
}

// Message is one turn of the conversation.
type Message struct {
	Role  Role   `json:"role"`
	Parts []Part `json:"parts"`
}

// UserText returns a user message holding text alone.
func UserText(text string) Message {
	return Message{Role: RoleUser, Parts: []Part{TextPart(text)}}
}

// Text returns the concatenated text parts of the message.
func (m Message) Text() string {
	var n int
	for _, p := range m.Parts {
		if p.Type == PartText {
			n += len(p.Text)
		}
	}
	b := make([]byte, 0, n)
	for _, p := range m.Parts {
		if p.Type == PartText {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// ToolCalls returns the tool_use parts of the message, in order.
func (m Message) ToolCalls() []Part {
	var out []Part
	for _, p := range m.Parts {
		if p.Type == PartToolUse {
			out = append(out, p)
		}
	}
	return out
}

// SystemBlock is one block of system instructions. Blocks are sent in order.
type SystemBlock struct {
	Text string
	// Cache marks the end of a stable prefix (operator prompt, preferences, guidance):
	// Anthropic gets a cache_control breakpoint after this block, with the configured
	// lifetime of the stable prefix (ProviderConfig.CacheTTL).
	Cache bool
}

// Tool describes a tool the model may call.
type Tool struct {
	Name        string
	Description string
	// Schema is the JSON schema of the tool's input (an object schema).
	Schema json.RawMessage
}

// Tier selects which model of a provider serves a request.
type Tier string

// The model tiers: Main answers users; Small does cheap background work (summaries).
const (
	TierMain  Tier = "main"
	TierSmall Tier = "small"
)

// Request is one model call, in provider-neutral form.
type Request struct {
	Tier     Tier
	System   []SystemBlock
	Messages []Message
	Tools    []Tool
	// MaxTokens caps the reply; 0 means DefaultMaxTokens.
	MaxTokens int
	// StableMessages is how many leading messages will be sent unchanged on the next call
	// (normally all of them). Anthropic gets a cache breakpoint on the last of these (on its
	// last part that is not Volatile), so the next turn reads the whole prefix from the
	// cache. 0: no message breakpoint.
	StableMessages int
	// CacheKey groups requests that share a prefix (e.g. a hash of the user id); sent to
	// OpenAI as prompt_cache_key to improve its automatic cache hits.
	CacheKey string
	// AllowFallback, when set, is asked before a provider other than the first configured
	// one serves this request. Returning an error refuses the fallback (for example when
	// the user's daily fallback allowance is spent); the router then returns the original
	// provider's error wrapped together with the refusal.
	AllowFallback func(provider string) error
}

// DefaultMaxTokens caps a reply when Request.MaxTokens is 0.
const DefaultMaxTokens = 4096

func (r *Request) maxTokens() int64 {
	if r.MaxTokens > 0 {
		return int64(r.MaxTokens)
	}
	return DefaultMaxTokens
}

// StopReason says why the model stopped.
type StopReason string

// Provider-neutral stop reasons.
const (
	StopEndTurn   StopReason = "end_turn"
	StopToolUse   StopReason = "tool_use"
	StopMaxTokens StopReason = "max_tokens"
	StopSequence  StopReason = "stop_sequence"
	StopRefusal   StopReason = "refusal"
	StopOther     StopReason = "other"
)

// Usage counts the tokens of one model call. InputTokens excludes tokens read from or
// written to the cache, so the total input is InputTokens+CacheReadTokens+CacheWriteTokens.
type Usage struct {
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"`
	// CacheWrite5mTokens and CacheWrite1hTokens split CacheWriteTokens by the cache TTL
	// (Anthropic only; both zero elsewhere).
	CacheWrite5mTokens int64 `json:"cache_write_5m_tokens,omitempty"`
	CacheWrite1hTokens int64 `json:"cache_write_1h_tokens,omitempty"`
}

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:        u.InputTokens + v.InputTokens,
		OutputTokens:       u.OutputTokens + v.OutputTokens,
		CacheReadTokens:    u.CacheReadTokens + v.CacheReadTokens,
		CacheWriteTokens:   u.CacheWriteTokens + v.CacheWriteTokens,
		CacheWrite5mTokens: u.CacheWrite5mTokens + v.CacheWrite5mTokens,
		CacheWrite1hTokens: u.CacheWrite1hTokens + v.CacheWrite1hTokens,
	}
}

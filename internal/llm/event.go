package llm

import (
	"context"
	"encoding/json"
)

// EventType says what an Event reports.
type EventType uint8

// The events of a streamed reply.
const (
	// EventText carries a fragment of reply text in Text.
	EventText EventType = iota + 1
	// EventToolStart opens tool call Index: ToolCallID and ToolName are set (and
	// Signature, for providers that sign calls).
	EventToolStart
	// EventToolDelta carries a fragment of the tool call's JSON arguments in Text.
	EventToolDelta
	// EventToolEnd closes tool call Index; from the router it also carries the whole
	// call (ToolCallID, ToolName, Input).
	EventToolEnd
	// EventUsage carries the usage of the call so far (cumulative, not an increment).
	EventUsage
	// EventStop carries the StopReason; it is the last event of a complete reply.
	EventStop
	// EventError carries the error that ended the reply (also returned by Err).
	EventError
)

var eventNames = [...]string{"", "text", "tool_start", "tool_delta", "tool_end", "usage", "stop", "error"}

// String returns the event type's name.
func (t EventType) String() string {
	if int(t) < len(eventNames) {
		return eventNames[t]
	}
	return "unknown"
}

// Event is one step of a streamed reply. Which fields are set depends on Type.
type Event struct {
	Type EventType
	// Index is the position of the content block (text or tool call) in the reply.
	Index      int
	Text       string
	ToolCallID string
	ToolName   string
	Input      json.RawMessage
	Signature  []byte
	Usage      Usage
	StopReason StopReason
	Err        error
}

// Stream is a provider's streamed reply, read like the SDK streams it wraps:
//
//	for s.Next() { ev := s.Event() }
//	err := s.Err()
//
// Err returns nil after a complete reply, else an *Error.
type Stream interface {
	Next() bool
	Event() Event
	Err() error
	Close() error
}

// Provider is one model provider behind an official SDK. The router is its only caller.
type Provider interface {
	// Name is the provider's name: "anthropic", "openai" or "gemini".
	Name() string
	// Model returns the model that serves tier t.
	Model(t Tier) string
	// Open starts the call and returns once the provider has accepted it (for SDKs that
	// connect lazily, on the first Next). Errors are *Error.
	Open(ctx context.Context, model string, req *Request) (Stream, error)
}

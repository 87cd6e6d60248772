package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/llm"
)

// maxToolResult bounds what a tool returns to the model (bytes).
const maxToolResult = 16000

// Tool is a tool the assistant may call. Features register theirs with
// Service.RegisterTool; chat offers them to the model and runs their calls.
type Tool interface {
	// Definition is what the model is offered: name, description and input schema.
	Definition() llm.Tool
	// Run executes a call. Mistakes in the call are results with IsError for the model
	// to correct; err ends the reply (status failed, an internal error for the user).
	Run(ctx context.Context, call ToolCall) (ToolResult, error)
}

// ToolAvailability is implemented by a tool offered only sometimes (memory: only while
// the user keeps memory on). It is asked once when a turn begins; the answer holds for
// every step of the turn.
type ToolAvailability interface {
	Available(ctx context.Context, call ToolCall) bool
}

// The origins of a turn, as tools see them in ToolCall.Origin.
const (
	// OriginChat is a turn the user started (a message, a regenerate, an edit).
	OriginChat = "chat"
	// OriginTask is a scheduled task's run.
	OriginTask = "task"
	// OriginTelegram is a message the user sent from a linked Telegram chat.
	OriginTelegram = "telegram"
)

// ToolCall is one call of a tool within a turn. For Available, Input is empty.
type ToolCall struct {
	// UserID owns the conversation; ConversationID and MessageID (the reply being
	// generated) say where the call was made.
	UserID, ConversationID, MessageID string
	// Loc is the user's timezone.
	Loc *time.Location
	// Origin is OriginChat or OriginTask (SendOptions.Origin).
	Origin string
	// Input is the call's arguments, as the model wrote them (JSON).
	Input json.RawMessage

	// prefs are the user's preferences as the turn read them (for the built-in tools).
	prefs Preferences
}

// ToolResult is what a call returns.
type ToolResult struct {
	// Text goes back to the model (cut to maxToolResult bytes) and is shown with the step.
	Text    string
	IsError bool
	// Change marks a call that changed the user's data: the UI shows it as a change (as
	// it does memory writes).
	Change bool
	// Undo, when set, is offered by the UI as an undo action: an opaque JSON object the
	// feature understands (e.g. {"tool":"tasks","action":"delete","task_id":"…"}), stored
	// with the step and sent in the tool_result event.
	Undo json.RawMessage

	// writesMemory marks a change to the user's memory (the memory tool's steps keep
	// their writes_memory flag).
	writesMemory bool
}

// toolRegistry holds the registered tools in registration order, which is the order the
// model is offered them in (stable, so prompts stay cacheable).
type toolRegistry struct {
	mu     sync.RWMutex
	list   []Tool
	byName map[string]Tool
}

// RegisterTool adds a tool the assistant may call, at wiring time (it is safe at any
// time; turns already begun keep the tools they were offered). It panics when a tool of
// the same name is already registered, or the name is empty: a wiring mistake.
func (s *Service) RegisterTool(t Tool) {
	name := t.Definition().Name
	r := &s.tools
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" {
		panic("chat: RegisterTool: a tool without a name")
	}
	if r.byName == nil {
		r.byName = map[string]Tool{}
	}
	if _, dup := r.byName[name]; dup {
		panic(fmt.Sprintf("chat: RegisterTool: a tool named %q is already registered", name))
	}
	r.byName[name] = t
	r.list = append(r.list, t)
}

// offered is the set of tools one turn offers the model.
type offered struct {
	defs   []llm.Tool
	byName map[string]Tool
}

// offerTools picks the tools of this turn: the registered ones, less those the turn's
// options exclude and those not available to it now.
func (a *agentRun) offerTools(ctx context.Context) offered {
	excluded := map[string]bool{}
	for _, n := range a.opts.ExcludeTools {
		excluded[n] = true
	}
	a.s.tools.mu.RLock()
	list := append([]Tool(nil), a.s.tools.list...)
	a.s.tools.mu.RUnlock()
	out := offered{byName: map[string]Tool{}}
	probe := a.toolCall(nil)
	for _, t := range list {
		def := t.Definition()
		if excluded[def.Name] {
			continue
		}
		if av, ok := t.(ToolAvailability); ok && !av.Available(ctx, probe) {
			continue
		}
		out.defs = append(out.defs, def)
		out.byName[def.Name] = t
	}
	return out
}

// toolCall describes a call of this turn with the given input.
func (a *agentRun) toolCall(input json.RawMessage) ToolCall {
	return ToolCall{UserID: a.t.conv.userID, ConversationID: a.t.conv.ID, MessageID: a.t.replyID,
		Loc: a.loc, Origin: a.opts.Origin, Input: input, prefs: a.prefs}
}

// runTool executes one tool call of the model. A call of a tool this turn does not offer
// (unknown, excluded, unavailable) is an error result for the model; err is for failures
// that end the reply.
func (a *agentRun) runTool(ctx context.Context, c llm.Part) (ToolResult, error) {
	t, ok := a.offered.byName[c.ToolName]
	if !ok {
		a.s.tools.mu.RLock()
		_, known := a.s.tools.byName[c.ToolName]
		a.s.tools.mu.RUnlock()
		if known {
			return ToolResult{Text: fmt.Sprintf("Error: the tool %q is not available here.", c.ToolName), IsError: true}, nil
		}
		return ToolResult{Text: fmt.Sprintf("Error: there is no tool named %q.", c.ToolName), IsError: true}, nil
	}
	res, err := t.Run(ctx, a.toolCall(c.Input))
	if err != nil {
		return ToolResult{}, fmt.Errorf("chat: tool %s: %w", c.ToolName, err)
	}
	if len(res.Undo) > 0 && !isJSONObject(res.Undo) {
		return ToolResult{}, fmt.Errorf("chat: tool %s: undo is not a JSON object", c.ToolName)
	}
	res.Text = clipText(res.Text, maxToolResult)
	return res, nil
}

// isJSONObject reports whether raw is one JSON object.
func isJSONObject(raw json.RawMessage) bool {
	var v map[string]json.RawMessage
	return json.Unmarshal(raw, &v) == nil && v != nil
}

// clipText cuts s to at most n bytes on a character boundary, saying so.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "\n[… cut: the result was too long]"
}

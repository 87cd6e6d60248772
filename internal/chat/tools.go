package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/memory"
)

// The tools the agent may call besides memory.
const currentTimeTool = "current_time"

// maxToolResult bounds what a tool returns to the model (bytes).
const maxToolResult = 16000

// tools lists the tools offered for this reply: memory only while the user keeps it on.
func (a *agentRun) tools() []llm.Tool {
	out := []llm.Tool{{
		Name:        currentTimeTool,
		Description: "Returns the current date and time in the user's timezone. Use it whenever the answer depends on today's date or the time.",
		Schema:      json.RawMessage(`{"type":"object","properties":{}}`),
	}}
	if a.memoryOn() {
		out = append(out, llm.Tool{Name: memory.ToolName, Description: memory.ToolDescription, Schema: memory.ToolSchema()})
	}
	return out
}

func (a *agentRun) memoryOn() bool { return a.prefs.MemoryEnabled && a.s.memory != nil }

// memoryWrites are the memory commands that change files: their calls are shown to the
// user as changes to their memory.
var memoryWrites = map[string]bool{"create": true, "str_replace": true, "insert": true, "delete": true, "rename": true}

// runTool executes one tool call. Mistakes in the call come back as error results for the
// model to correct; err is for failures that end the reply.
func (a *agentRun) runTool(ctx context.Context, c llm.Part) (result string, isError, writesMemory bool, err error) {
	userID := a.t.conv.userID
	switch c.ToolName {
	case currentTimeTool:
		now := a.s.now().In(a.loc)
		return fmt.Sprintf("%s (timezone %s, UTC%s). ISO 8601: %s", now.Format("Monday, 2 January 2006, 15:04"),
			a.loc.String(), now.Format("-07:00"), now.Format("2006-01-02T15:04:05-07:00")), false, false, nil
	case memory.ToolName:
		if !a.memoryOn() {
			return "Error: memory is turned off by the user.", true, false, nil
		}
		lim := memory.Limits{}
		if a.s.ledger != nil {
			if lim, err = a.s.ledger.MemoryLimits(ctx, userID); err != nil {
				return "", true, false, fmt.Errorf("chat: memory limits: %w", err)
			}
		}
		out, isErr, err := a.s.memory.Execute(ctx, userID, c.Input, lim)
		if err != nil {
			return "", true, false, fmt.Errorf("chat: memory tool: %w", err)
		}
		var cmd struct {
			Command string `json:"command"`
		}
		_ = json.Unmarshal(c.Input, &cmd)
		return clipText(out, maxToolResult), isErr, !isErr && memoryWrites[cmd.Command], nil
	}
	return fmt.Sprintf("Error: there is no tool named %q.", c.ToolName), true, false, nil
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

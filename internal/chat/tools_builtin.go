package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/memory"
)

// currentTimeTool tells the model the date and time in the user's timezone.
type currentTimeTool struct{ now func() time.Time }

func (currentTimeTool) Definition() llm.Tool {
	return llm.Tool{
		Name:        "current_time",
		Description: "Returns the current date and time in the user's timezone. Use it whenever the answer depends on today's date or the time.",
		Schema:      json.RawMessage(`{"type":"object","properties":{}}`),
	}
}

func (t currentTimeTool) Run(_ context.Context, c ToolCall) (ToolResult, error) {
	now := t.now().In(c.Loc)
	return ToolResult{Text: fmt.Sprintf("%s (timezone %s, UTC%s). ISO 8601: %s", now.Format("Monday, 2 January 2006, 15:04"),
		c.Loc.String(), now.Format("-07:00"), now.Format("2006-01-02T15:04:05-07:00"))}, nil
}

// memoryTool is the user's memory files, offered while the user keeps memory on.
type memoryTool struct {
	memory Memory
	ledger Ledger
}

// memoryWrites are the memory commands that change files: their calls are shown to the
// user as changes to their memory.
var memoryWrites = map[string]bool{"create": true, "str_replace": true, "insert": true, "delete": true, "rename": true}

func (memoryTool) Definition() llm.Tool {
	return llm.Tool{Name: memory.ToolName, Description: memory.ToolDescription, Schema: memory.ToolSchema()}
}

func (memoryTool) Available(_ context.Context, c ToolCall) bool { return c.prefs.MemoryEnabled }

func (t memoryTool) Run(ctx context.Context, c ToolCall) (ToolResult, error) {
	lim := memory.Limits{}
	if t.ledger != nil {
		var err error
		if lim, err = t.ledger.MemoryLimits(ctx, c.UserID); err != nil {
			return ToolResult{}, fmt.Errorf("memory limits: %w", err)
		}
	}
	out, isErr, err := t.memory.Execute(ctx, c.UserID, c.Input, lim)
	if err != nil {
		return ToolResult{}, err
	}
	var cmd struct {
		Command string `json:"command"`
	}
	_ = json.Unmarshal(c.Input, &cmd)
	writes := !isErr && memoryWrites[cmd.Command]
	return ToolResult{Text: out, IsError: isErr, Change: writes, writesMemory: writes}, nil
}

package llm_test

import (
	"encoding/json"
	"strings"
	"testing"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

// The default script of the fake (what cmd/fakellm serves) drives a whole tool loop.
func TestFakeScriptMemoryToolLoop(t *testing.T) {
	for _, p := range allProviders {
		t.Run(string(p), func(t *testing.T) {
			srv := llmtest.Start(t)
			r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, p)
			req := &llm.Request{Tools: []llm.Tool{memoryTool}, Messages: []llm.Message{llm.UserText("Please remember that I like green tea.")}}
			_, res, err := run(t, r, req)
			if err != nil {
				t.Fatal(err)
			}
			calls := res.Message.ToolCalls()
			if res.StopReason != llm.StopToolUse || len(calls) != 1 || calls[0].ToolName != "memory" {
				t.Fatalf("%+v", res)
			}
			var in map[string]string
			json.Unmarshal(calls[0].Input, &in)
			if in["command"] != "create" || in["path"] != llmtest.MemoryPath || in["file_text"] != "I like green tea\n" {
				t.Fatalf("memory call %s", calls[0].Input)
			}
			req.Messages = append(req.Messages, res.Message, llm.Message{Role: llm.RoleUser, Parts: []llm.Part{
				llm.ToolResultPart(calls[0].ToolCallID, "memory", "File created successfully at: /memories/notes.md", false)}})
			_, res, err = run(t, r, req)
			if err != nil || res.Message.Text() != "Done: I have saved that to memory." || res.StopReason != llm.StopEndTurn {
				t.Fatalf("%v %+v", err, res)
			}

			// Without the tool, or without "remember", it echoes.
			_, res, _ = run(t, r, &llm.Request{Messages: []llm.Message{llm.UserText("What is the time?")}})
			if !strings.HasPrefix(res.Message.Text(), "You said: What is the time?") || len(strings.Fields(res.Message.Text())) != 40 {
				t.Fatalf("echo %q", res.Message.Text())
			}
		})
	}
}

package llm_test

import (
	"errors"
	"testing"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

func TestGeminiRequest(t *testing.T) {
	srv := llmtest.Start(t)
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Gemini)
	req := hello()
	req.Tools = []llm.Tool{memoryTool}
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	rec := srv.Requests(llmtest.Gemini)[0]
	if rec.Path != "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" || rec.Header.Get("X-Goog-Api-Key") != "test-key" {
		t.Fatalf("%s %v", rec.Path, rec.Header)
	}
	var body struct {
		SystemInstruction struct {
			Parts []struct{ Text string } `json:"parts"`
		} `json:"systemInstruction"`
		Tools []struct {
			FunctionDeclarations []struct {
				Name                 string         `json:"name"`
				ParametersJSONSchema map[string]any `json:"parametersJsonSchema"`
			} `json:"functionDeclarations"`
		} `json:"tools"`
		GenerationConfig struct {
			MaxOutputTokens int `json:"maxOutputTokens"`
		} `json:"generationConfig"`
	}
	if err := rec.JSON(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.SystemInstruction.Parts) != 1 || body.SystemInstruction.Parts[0].Text != "You are Ally." {
		t.Fatalf("system %+v", body.SystemInstruction)
	}
	if len(body.Tools) != 1 || body.Tools[0].FunctionDeclarations[0].Name != "memory" || body.Tools[0].FunctionDeclarations[0].ParametersJSONSchema["type"] != "object" {
		t.Fatalf("tools %+v", body.Tools)
	}
	if body.GenerationConfig.MaxOutputTokens != llm.DefaultMaxTokens {
		t.Fatalf("max tokens %d", body.GenerationConfig.MaxOutputTokens)
	}
}

// Gemini signs its function calls; the signature must come back with the history.
func TestGeminiThoughtSignatureRoundTrip(t *testing.T) {
	srv := llmtest.Start(t)
	sig := []byte("opaque-signature-\x00\x01")
	srv.Script(llmtest.Gemini, llmtest.Reply{ToolCalls: []llmtest.ToolCall{{Name: "memory", Input: `{"command":"view"}`, Signature: sig}}})
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.Gemini)
	req := hello()
	req.Tools = []llm.Tool{memoryTool}
	_, res, err := run(t, r, req)
	if err != nil {
		t.Fatal(err)
	}
	calls := res.Message.ToolCalls()
	if len(calls) != 1 || string(calls[0].Signature) != string(sig) || calls[0].ToolCallID == "" {
		t.Fatalf("calls %+v", calls)
	}
	req.Messages = append(req.Messages, res.Message, llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.ToolResultPart(calls[0].ToolCallID, "memory", "empty", false)}})
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []struct {
				ThoughtSignature []byte         `json:"thoughtSignature"`
				FunctionCall     map[string]any `json:"functionCall"`
				FunctionResponse map[string]any `json:"functionResponse"`
			} `json:"parts"`
		} `json:"contents"`
	}
	srv.Requests(llmtest.Gemini)[1].JSON(&body)
	if len(body.Contents) != 3 || body.Contents[1].Role != "model" || string(body.Contents[1].Parts[0].ThoughtSignature) != string(sig) {
		t.Fatalf("history sent back: %s", srv.Requests(llmtest.Gemini)[1].Body)
	}
	if fr := body.Contents[2].Parts[0].FunctionResponse; fr["name"] != "memory" || fr["response"].(map[string]any)["output"] != "empty" {
		t.Fatalf("function response %v", fr)
	}
}

// Gemini's SDK connects on the first read: the first-token timeout covers the wait.
func TestGeminiSlowStartIsAFirstTokenTimeout(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Gemini, llmtest.Reply{StallBeforeHeaders: true})
	clock := llmtest.NewClock()
	r := newRouter(t, srv, clock, llm.RouterConfig{}, llmtest.Gemini)
	done := make(chan error, 1)
	go func() { _, _, err := run(t, r, hello()); done <- err }()
	clock.WaitArmed(t, firstTokenTimeout)
	clock.Advance(firstTokenTimeout)
	var te *llm.TimeoutError
	if err := <-done; !errors.As(err, &te) || te.Phase != "first_token" {
		t.Fatalf("err %v", err)
	}
}

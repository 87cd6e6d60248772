package llm_test

import (
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

package llm_test

import (
	"testing"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

func TestOpenAIRequestParameters(t *testing.T) {
	srv := llmtest.Start(t)
	r := newRouter(t, srv, llmtest.NewClock(), llm.RouterConfig{}, llmtest.OpenAI)
	req := hello()
	req.CacheKey = "u_1f2e"
	req.MaxTokens = 321
	if _, _, err := run(t, r, req); err != nil {
		t.Fatal(err)
	}
	rec := srv.Requests(llmtest.OpenAI)[0]
	var body struct {
		Model          string `json:"model"`
		Stream         bool   `json:"stream"`
		PromptCacheKey string `json:"prompt_cache_key"`
		MaxTokens      int    `json:"max_tokens"`
		Store          *bool  `json:"store"`
		StreamOptions  struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Messages []struct {
			Role string `json:"role"`
		} `json:"messages"`
	}
	if err := rec.JSON(&body); err != nil {
		t.Fatal(err)
	}
	if rec.Path != "/v1/chat/completions" || rec.Header.Get("Authorization") != "Bearer test-key" {
		t.Fatalf("%s %v", rec.Path, rec.Header)
	}
	if body.Model != "gpt-5-mini" || !body.Stream || !body.StreamOptions.IncludeUsage || body.PromptCacheKey != "u_1f2e" {
		t.Fatalf("body %+v", body)
	}
	// Conversations are never kept by OpenAI for evals or distillation: said explicitly.
	if body.Store == nil || *body.Store {
		t.Fatalf("store is %v, want an explicit false", body.Store)
	}
	// A server that is not api.openai.com gets the widely supported max_tokens.
	if body.MaxTokens != 321 {
		t.Fatalf("max_tokens %d", body.MaxTokens)
	}
	if len(body.Messages) != 2 || body.Messages[0].Role != "system" || body.Messages[1].Role != "user" {
		t.Fatalf("messages %+v", body.Messages)
	}
}

// A local OpenAI-compatible server (Ollama, llama.cpp, vLLM) needs no key.
func TestOpenAICompatibleServerWithoutKey(t *testing.T) {
	srv := llmtest.Start(t)
	p := llm.NewOpenAI(llm.ProviderConfig{BaseURL: srv.URL + "/v1", Model: "llama3.2"})
	r := llm.NewRouter(llm.RouterConfig{Clock: llmtest.NewClock()}, p)
	_, res, err := run(t, r, hello())
	if err != nil || res.Model != "llama3.2" || res.Message.Text() == "" {
		t.Fatalf("%v %+v", err, res)
	}
}

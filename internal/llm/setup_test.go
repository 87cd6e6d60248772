package llm_test

import (
	"strings"
	"testing"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

func load(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	c, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFromConfigWithoutProviders(t *testing.T) {
	s, err := llm.FromConfig(load(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Status.Configured()) != 0 || s.Anthropic != nil {
		t.Fatalf("configured %v", s.Status.Configured())
	}
	report := s.Status.String()
	for _, want := range []string{"no_provider", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENAI_BASE_URL"} {
		if !strings.Contains(report, want) {
			t.Fatalf("report lacks %s:\n%s", want, report)
		}
	}
	_, err = s.Router.Complete(t.Context(), hello())
	if errs.CodeOf(err) != errs.NoProvider {
		t.Fatalf("err %v", err)
	}
}

func TestFromConfigOrderAndFallback(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Gemini, llmtest.Reply{Status: 503})
	s, err := llm.FromConfig(load(t, map[string]string{
		"ALLY_LLM_PROVIDERS":     "gemini, openai, anthropic",
		"ALLY_LLM_MAX_RETRIES":   "0",
		"GEMINI_API_KEY":         "g-key",
		"GOOGLE_GEMINI_BASE_URL": srv.URL,
		"ALLY_GEMINI_PAID_TIER":  "true",
		"OPENAI_BASE_URL":        srv.URL + "/v1",
		"OPENAI_API_KEY":         "local",
		"ALLY_LLM_OPENAI_MODEL":  "qwen3:8b",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Status.Configured(), ","); got != "gemini,openai" {
		t.Fatalf("configured %s", got)
	}
	if !strings.Contains(s.Status.String(), "anthropic not configured: set ANTHROPIC_API_KEY") {
		t.Fatalf("report:\n%s", s.Status.String())
	}
	res, err := s.Router.Complete(t.Context(), hello())
	if err != nil || res.Provider != "openai" || res.Model != "qwen3:8b" || !res.Fallback {
		t.Fatalf("%v %+v", err, res)
	}
}

// A base URL alone does not enable a provider: every provider is enabled by its key.
func TestFromConfigNeedsAKey(t *testing.T) {
	s, err := llm.FromConfig(load(t, map[string]string{
		"ANTHROPIC_BASE_URL": "http://127.0.0.1:1", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:1",
	}), nil)
	if err != nil || len(s.Status.Configured()) != 0 {
		t.Fatalf("%v %v", err, s.Status.Configured())
	}
}

func TestFromConfigRejectsBadSettings(t *testing.T) {
	for env, want := range map[string]string{
		"ALLY_LLM_PROVIDERS": "ALLY_LLM_PROVIDERS",
		"ALLY_LLM_CACHE_TTL": "ALLY_LLM_CACHE_TTL",
	} {
		c := load(t, map[string]string{env: "claude,claude"})
		if _, err := llm.FromConfig(c, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v", env, err)
		}
	}
}

// A free Gemini key does not enable Gemini: Google's unpaid tier uses prompts to improve
// its products. Without the operator's confirmation of a paid tier, Gemini is never asked,
// and the report says why before any request.
func TestGeminiNeedsAPaidTier(t *testing.T) {
	srv := llmtest.Start(t)
	srv.Script(llmtest.Anthropic, llmtest.Reply{Status: 529}, llmtest.Reply{Status: 529}, llmtest.Reply{Status: 529})
	env := map[string]string{
		"ANTHROPIC_API_KEY": "a-key", "ANTHROPIC_BASE_URL": srv.URL,
		"GEMINI_API_KEY": "g-key", "GOOGLE_GEMINI_BASE_URL": srv.URL,
		"ALLY_LLM_MAX_RETRIES": "0",
	}
	s, err := llm.FromConfig(load(t, env), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Status.Configured(), ","); got != "anthropic" {
		t.Fatalf("configured %q, want anthropic alone", got)
	}
	if !strings.Contains(s.Status.String(), "gemini    not configured: set ALLY_GEMINI_PAID_TIER=true") {
		t.Fatalf("report does not say why Gemini is off:\n%s", s.Status.String())
	}
	if _, err := s.Router.Complete(t.Context(), hello()); err == nil {
		t.Fatal("the request succeeded without Claude, so something answered it")
	}
	if n := len(srv.Requests(llmtest.Gemini)); n != 0 {
		t.Fatalf("Gemini received %d requests on an unconfirmed tier", n)
	}

	env["ALLY_GEMINI_PAID_TIER"] = "true"
	s, err = llm.FromConfig(load(t, env), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Status.Configured(), ","); got != "anthropic,gemini" {
		t.Fatalf("configured %q with a confirmed paid tier", got)
	}
}

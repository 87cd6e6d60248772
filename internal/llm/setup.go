package llm

import (
	"fmt"
	"log/slog"
	"strings"

	"myally.app/ally/internal/config"
)

// Setup is what FromConfig builds: the router, the Anthropic adapter for Message
// Batches (nil when Claude is not configured), and a report of what is configured.
type Setup struct {
	Router    *Router
	Anthropic *Anthropic
	Status    Status
}

// Status reports which providers are configured, in fallback order.
type Status struct {
	Providers []ProviderStatus
}

// ProviderStatus is one provider's line of the status.
type ProviderStatus struct {
	Name       string
	Configured bool
	Model      string
	SmallModel string
	// BaseURL is the endpoint when it is not the official one.
	BaseURL string
	// Missing says which variables would enable it.
	Missing string
}

// Configured returns the names of the configured providers, in order.
func (s Status) Configured() []string {
	var out []string
	for _, p := range s.Providers {
		if p.Configured {
			out = append(out, p.Name)
		}
	}
	return out
}

// String is the human-readable report for `ally doctor`.
func (s Status) String() string {
	var b strings.Builder
	if len(s.Configured()) == 0 {
		b.WriteString("No model provider is configured, so chat answers 503 no_provider.\n" +
			"Set ANTHROPIC_API_KEY (Claude, recommended), OPENAI_API_KEY or GEMINI_API_KEY; or, for a local\n" +
			"OpenAI-compatible server (Ollama, llama.cpp, vLLM), OPENAI_BASE_URL and any OPENAI_API_KEY.\n" +
			"See docs/providers.md.\n")
	}
	b.WriteString("Model providers, in fallback order (ALLY_LLM_PROVIDERS):\n")
	for _, p := range s.Providers {
		if !p.Configured {
			fmt.Fprintf(&b, "  %-9s not configured: set %s\n", p.Name, p.Missing)
			continue
		}
		fmt.Fprintf(&b, "  %-9s ready: %s (background work: %s)", p.Name, p.Model, p.SmallModel)
		if p.BaseURL != "" {
			fmt.Fprintf(&b, " at %s", p.BaseURL)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Describe returns the provider report for cfg without building anything.
func Describe(cfg config.Config) string {
	s, err := FromConfig(cfg, nil)
	if err != nil {
		return err.Error() + "\n"
	}
	return s.Status.String()
}

// FromConfig builds the providers named in ALLY_LLM_PROVIDERS that are configured, in
// that order, and the router over them. With none configured the router answers every
// request with ErrNoProvider (errs.NoProvider).
func FromConfig(cfg config.Config, logger *slog.Logger) (*Setup, error) {
	if cfg.LLMCacheTTL != "5m" && cfg.LLMCacheTTL != "1h" {
		return nil, fmt.Errorf("ALLY_LLM_CACHE_TTL: %q must be 5m or 1h", cfg.LLMCacheTTL)
	}
	client := newHTTPClient(cfg.LLMConnectTimeout)
	setup := &Setup{}
	var providers []Provider
	seen := map[string]bool{}
	for _, raw := range cfg.LLMProviders {
		name := strings.ToLower(strings.TrimSpace(raw))
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("ALLY_LLM_PROVIDERS: %q is listed twice", name)
		}
		seen[name] = true
		st := ProviderStatus{Name: name}
		pc := ProviderConfig{HTTPClient: client, CacheTTL: cfg.LLMCacheTTL}
		switch name {
		case "anthropic":
			pc.APIKey, pc.BaseURL, pc.Model, pc.SmallModel = cfg.AnthropicAPIKey, cfg.AnthropicBaseURL, cfg.LLMAnthropicModel, cfg.LLMAnthropicSmallModel
			st.Configured, st.Missing = pc.APIKey != "", "ANTHROPIC_API_KEY"
		case "openai":
			pc.APIKey, pc.BaseURL, pc.Model, pc.SmallModel = cfg.OpenAIAPIKey, cfg.OpenAIBaseURL, cfg.LLMOpenAIModel, cfg.LLMOpenAISmallModel
			// A key enables every provider alike; a local server that checks none takes any.
			st.Configured, st.Missing = pc.APIKey != "", "OPENAI_API_KEY (with OPENAI_BASE_URL for a local OpenAI-compatible server, any key)"
		case "gemini":
			pc.APIKey, pc.BaseURL, pc.Model, pc.SmallModel = cfg.GeminiAPIKey, cfg.GeminiBaseURL, cfg.LLMGeminiModel, cfg.LLMGeminiSmallModel
			st.Configured, st.Missing = pc.APIKey != "", "GEMINI_API_KEY"
			if pc.APIKey != "" && !cfg.GeminiPaidTier {
				// Google's unpaid tier uses prompts and replies to improve its products,
				// which the policy rules out: the key alone does not enable Gemini.
				st.Configured, st.Missing = false, GeminiUnpaidNotice
			}
		default:
			return nil, fmt.Errorf("ALLY_LLM_PROVIDERS: unknown provider %q (use anthropic, openai, gemini)", name)
		}
		st.Model, st.SmallModel, st.BaseURL = pc.Model, pc.model(TierSmall), pc.BaseURL
		if st.Configured {
			st.Missing = ""
			switch name {
			case "anthropic":
				setup.Anthropic = NewAnthropic(pc)
				providers = append(providers, setup.Anthropic)
			case "openai":
				providers = append(providers, NewOpenAI(pc))
			case "gemini":
				g, err := NewGemini(pc)
				if err != nil {
					return nil, fmt.Errorf("gemini: %w", err)
				}
				providers = append(providers, g)
			}
		}
		setup.Status.Providers = append(setup.Status.Providers, st)
	}
	setup.Router = NewRouter(RouterConfig{
		ConnectTimeout:    cfg.LLMConnectTimeout,
		FirstTokenTimeout: cfg.LLMFirstTokenTimeout,
		IdleTimeout:       cfg.LLMIdleTimeout,
		MaxRetries:        cfg.LLMMaxRetries,
		BreakerThreshold:  cfg.LLMBreakerThreshold,
		BreakerCooldown:   cfg.LLMBreakerCooldown,
		Logger:            logger,
	}, providers...)
	return setup, nil
}

// GeminiUnpaidNotice is why a Gemini key alone does not enable the Gemini fallback: on
// Google's unpaid tier prompts and replies are used to improve Google's products, which
// Ally's privacy policy rules out for conversations.
const GeminiUnpaidNotice = "ALLY_GEMINI_PAID_TIER=true once GEMINI_API_KEY is on a paid tier " +
	"(Google's unpaid tier uses prompts to improve its products, so Ally keeps Gemini off until then)"

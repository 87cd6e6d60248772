package config

import "fmt"

func init() { RegisterValidator(validateChat) }

// validateChat checks the chat settings.
func validateChat(c Config) []string {
	var p []string
	if c.ContextTokens < 1000 {
		p = append(p, fmt.Sprintf("ALLY_CONTEXT_TOKENS: %d is too small; use at least 1000 (default 16000)", c.ContextTokens))
	}
	if c.ChatMaxSteps < 1 || c.ChatMaxSteps > 50 {
		p = append(p, fmt.Sprintf("ALLY_CHAT_MAX_STEPS: %d must be between 1 and 50 (default 8)", c.ChatMaxSteps))
	}
	if c.ChatMaxMessageChars < 100 {
		p = append(p, "ALLY_CHAT_MAX_MESSAGE_CHARS: must be at least 100 (default 32000)")
	}
	if c.ChatFlushInterval <= 0 || c.ChatKeepAlive <= 0 || c.ChatFollowInterval <= 0 {
		p = append(p, "ALLY_CHAT_FLUSH_INTERVAL, ALLY_CHAT_KEEPALIVE and ALLY_CHAT_FOLLOW_INTERVAL must be positive durations")
	}
	if c.ChatFlushBytes < 1 {
		p = append(p, "ALLY_CHAT_FLUSH_BYTES: must be at least 1 (default 2048)")
	}
	if len(c.SystemPrompt) > 20000 {
		p = append(p, "ALLY_SYSTEM_PROMPT: must be at most 20000 bytes")
	}
	return p
}

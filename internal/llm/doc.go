// Package llm is the only place that knows about model providers. It turns a
// provider-neutral Request into a streamed reply from Anthropic Claude, OpenAI (or any
// OpenAI-compatible server) or Google Gemini, through their official SDKs, and routes
// each request to the first provider that can serve it.
//
// # Building the router
//
// FromConfig builds everything from config.Config: the adapters that are configured, in
// ALLY_LLM_PROVIDERS order, and a Router over them with the configured timeouts, retries
// and circuit breakers. Setup.Status says what is configured (Status.String is the report
// for `ally doctor`); with no provider configured every call fails with ErrNoProvider,
// whose errs code is no_provider (HTTP 503). Setup.Anthropic is the Claude adapter, for
// Message Batches (CreateBatch, PollBatch, BatchResults), or nil.
//
// # A request
//
//	req := &llm.Request{
//		Tier:   llm.TierMain, // TierSmall for summaries and background work
//		System: []llm.SystemBlock{
//			{Text: operatorPrompt + preferences, Cache: true}, // stable: cache breakpoint
//			{Text: "Now: Monday 09:00 Europe/Paris"},           // changes each turn
//		},
//		Tools:    []llm.Tool{{Name: "memory", Description: "…", Schema: schemaJSON}},
//		Messages: history, // []llm.Message of llm.Part: text, tool_use, tool_result
//		StableMessages: len(history), // cache the whole history for the next turn
//		CacheKey:       userKey,      // OpenAI prompt_cache_key
//		AllowFallback: func(provider string) error {
//			return allowance.Take(ctx, userID) // refuse when the daily allowance is spent
//		},
//	}
//
// # Streaming a turn
//
//	turn := router.Stream(ctx, req)
//	defer turn.Close() // Close early to stop a reply
//	for turn.Next() {
//		ev := turn.Event()
//		switch ev.Type {
//		case llm.EventText:      // ev.Text: show it, store it
//		case llm.EventToolStart: // ev.ToolCallID, ev.ToolName: a tool call begins
//		case llm.EventToolEnd:   // ev.ToolCallID, ev.ToolName, ev.Input: the whole call
//		case llm.EventUsage:     // ev.Usage: cumulative usage so far
//		case llm.EventError:     // ev.Err, also turn.Err(): the reply failed
//		}
//	}
//	res := turn.Result() // Message (partial after an error), StopReason, Usage,
//	                     // Provider, Model, Fallback
//	if err := turn.Err(); err != nil { … } // *llm.Error (Kind), *FallbackRefusedError, ErrNoProvider
//
// Read events promptly: the idle timeout runs from the last event the provider sent, so
// a caller that blocks between Next calls for longer than ALLY_LLM_IDLE_TIMEOUT fails its
// own reply. Persist and fan out without blocking on slow clients.
//
// When res.StopReason is StopToolUse, run res.Message.ToolCalls(), append res.Message and
// a user message of ToolResultPart(id, name, output, isError) parts, and stream again.
// Router.Complete does the loop above for callers that do not stream.
//
// # Failures
//
// Errors are *Error values classified by Kind: KindTransient (connection, timeouts, 408,
// 409, 429, 5xx, 529, an overloaded_error mid-stream) is retried with jittered backoff
// (honouring retry-after) and then falls back to the next provider; KindAuth falls back
// without retrying; KindInvalid, KindContextTooLong and KindCanceled are returned as they
// are. Fallback happens only before the first delta (text or tool call) has reached the
// caller; after it a failure ends the turn with an EventError and the partial Result, and
// the reply is never restarted silently. A provider failing BreakerThreshold times in a
// row is skipped for BreakerCooldown, then probed with one request.
//
// Usage counts input tokens without the cached ones: total input is InputTokens +
// CacheReadTokens + CacheWriteTokens for every provider. Package llmtest has fakes of the
// three providers' HTTP APIs for tests, and cmd/fakellm runs them as a process.
package llm

package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"
)

// OpenAI is the adapter on the official SDK's streaming Chat Completions API. Pointed at
// another base URL it serves OpenAI-compatible local servers (Ollama, llama.cpp, vLLM).
type OpenAI struct {
	cfg    ProviderConfig
	client openai.Client
	// official is true for api.openai.com, which wants max_completion_tokens (the only
	// limit its reasoning models take); other servers get the widely supported max_tokens.
	official bool
}

// NewOpenAI returns the OpenAI adapter, with the SDK's own retries off.
func NewOpenAI(cfg ProviderConfig) *OpenAI {
	key := cfg.APIKey
	if key == "" {
		key = "local" // local servers ignore the key, but the SDK wants one
	}
	opts := []option.RequestOption{option.WithAPIKey(key), option.WithMaxRetries(0), option.WithHTTPClient(cfg.httpClient())}
	official := true
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
		u, err := url.Parse(cfg.BaseURL)
		official = err == nil && strings.HasSuffix(u.Hostname(), "openai.com")
	}
	return &OpenAI{cfg: cfg, client: openai.NewClient(opts...), official: official}
}

// Name returns "openai".
func (o *OpenAI) Name() string { return "openai" }

// Model returns the model serving tier t.
func (o *OpenAI) Model(t Tier) string { return o.cfg.model(t) }

// Open sends the request and returns once the response headers arrived.
func (o *OpenAI) Open(ctx context.Context, model string, req *Request) (Stream, error) {
	params, err := o.Params(model, req)
	if err != nil {
		return nil, &Error{Provider: o.Name(), Kind: KindInvalid, Err: err}
	}
	s := o.client.Chat.Completions.NewStreaming(ctx, params)
	if err := s.Err(); err != nil {
		s.Close()
		return nil, o.classify(ctx, err)
	}
	return &openAIStream{o: o, ctx: ctx, s: s}, nil
}

// Params converts a request to the SDK's parameters. System blocks become one system
// message; tool results become tool messages placed before the user's text.
func (o *OpenAI) Params(model string, req *Request) (openai.ChatCompletionNewParams, error) {
	p := openai.ChatCompletionNewParams{Model: shared.ChatModel(model)}
	p.StreamOptions.IncludeUsage = openai.Bool(true)
	// Never kept for OpenAI's evals or distillation (the policy: no training on
	// conversations); said explicitly rather than trusting the account's default.
	p.Store = openai.Bool(false)
	if req.CacheKey != "" {
		// Local servers ignore fields they do not know.
		p.PromptCacheKey = openai.String(req.CacheKey)
	}
	if o.official {
		p.MaxCompletionTokens = openai.Int(req.maxTokens())
	} else {
		p.MaxTokens = openai.Int(req.maxTokens())
	}
	var sys []string
	for _, b := range req.System {
		if b.Text != "" {
			sys = append(sys, b.Text)
		}
	}
	if len(sys) > 0 {
		p.Messages = append(p.Messages, openai.SystemMessage(strings.Join(sys, "\n\n")))
	}
	for _, m := range req.Messages {
		var text strings.Builder
		var calls []openai.ChatCompletionMessageToolCallUnionParam
		for _, part := range m.Parts {
			switch part.Type {
			case PartText:
				if part.Volatile && text.Len() > 0 && part.Text != "" {
					text.WriteString("\n\n")
				}
				text.WriteString(part.Text)
			case PartToolUse:
				calls = append(calls, openai.ChatCompletionMessageToolCallUnionParam{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID: part.ToolCallID, Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: part.ToolName, Arguments: string(jsonObject(part.Input))},
				}})
			case PartToolResult:
				content := part.Text
				if part.IsError {
					content = "Error: " + content
				}
				p.Messages = append(p.Messages, openai.ToolMessage(content, part.ToolCallID))
			}
		}
		if m.Role == RoleAssistant {
			a := openai.ChatCompletionAssistantMessageParam{ToolCalls: calls}
			if text.Len() > 0 {
				a.Content.OfString = openai.String(text.String())
			}
			p.Messages = append(p.Messages, openai.ChatCompletionMessageParamUnion{OfAssistant: &a})
		} else if text.Len() > 0 {
			p.Messages = append(p.Messages, openai.UserMessage(text.String()))
		}
	}
	for _, t := range req.Tools {
		var params shared.FunctionParameters
		if len(t.Schema) > 0 {
			if err := json.Unmarshal(t.Schema, &params); err != nil {
				return p, errors.New("tool " + t.Name + ": schema is not a JSON object")
			}
		}
		def := shared.FunctionDefinitionParam{Name: t.Name, Parameters: params}
		if t.Description != "" {
			def.Description = openai.String(t.Description)
		}
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(def))
	}
	return p, nil
}

func (o *OpenAI) classify(ctx context.Context, err error) *Error {
	var ae *openai.Error
	if ctx.Err() != nil {
		return classifyTransport(ctx, o.Name(), err)
	}
	if errors.As(err, &ae) {
		e := &Error{Provider: o.Name(), Status: ae.StatusCode, Type: ae.Code, Err: err}
		if e.Type == "" {
			e.Type = ae.Type
		}
		if ae.Response != nil {
			e.RetryAfter = parseRetryAfter(ae.Response.Header, time.Now())
		}
		e.Kind = kindForStatus(ae.StatusCode, ae.Code, ae.Message)
		return e
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		// An error object inside the stream: the server failed after it had started.
		return &Error{Provider: o.Name(), Kind: KindTransient, Type: "stream_error", Err: err}
	}
	return classifyTransport(ctx, o.Name(), err)
}

// openAIStream translates chat completion chunks into Events. Text is block 0; tool call
// i is block i+1.
type openAIStream struct {
	o     *OpenAI
	ctx   context.Context
	s     *ssestream.Stream[openai.ChatCompletionChunk]
	queue []Event
	head  int
	ev    Event
	open  int // block index of the open tool call, 0 if none
	stop  StopReason
	usage Usage
	ended bool
	err   error
}

func (s *openAIStream) push(e Event) { s.queue = append(s.queue, e) }

func (s *openAIStream) closeTool() {
	if s.open > 0 {
		s.push(Event{Type: EventToolEnd, Index: s.open})
		s.open = 0
	}
}

func (s *openAIStream) Next() bool {
	for {
		if s.head < len(s.queue) {
			s.ev = s.queue[s.head]
			s.head++
			return true
		}
		s.queue, s.head = s.queue[:0], 0
		if s.ended {
			return false
		}
		if !s.s.Next() {
			s.finish()
			continue
		}
		c := s.s.Current()
		if c.JSON.Usage.Valid() && c.Usage.PromptTokens+c.Usage.CompletionTokens > 0 {
			u := &c.Usage
			cached, written := u.PromptTokensDetails.CachedTokens, u.PromptTokensDetails.CacheWriteTokens
			s.usage = Usage{InputTokens: u.PromptTokens - cached - written, OutputTokens: u.CompletionTokens, CacheReadTokens: cached, CacheWriteTokens: written}
			s.push(Event{Type: EventUsage, Usage: s.usage})
		}
		if len(c.Choices) == 0 {
			continue
		}
		ch := &c.Choices[0]
		if ch.Delta.Content != "" {
			s.push(Event{Type: EventText, Index: 0, Text: ch.Delta.Content})
		}
		for i := range ch.Delta.ToolCalls {
			tc := &ch.Delta.ToolCalls[i]
			idx := int(tc.Index) + 1
			if idx != s.open {
				s.closeTool()
				s.open = idx
				s.push(Event{Type: EventToolStart, Index: idx, ToolCallID: tc.ID, ToolName: tc.Function.Name})
			}
			if tc.Function.Arguments != "" {
				s.push(Event{Type: EventToolDelta, Index: idx, Text: tc.Function.Arguments})
			}
		}
		if ch.FinishReason != "" {
			s.closeTool()
			s.stop = openAIStop(ch.FinishReason)
		}
	}
}

// finish ends the stream: a complete one with its stop event, else with an error.
func (s *openAIStream) finish() {
	s.ended = true
	s.closeTool()
	if err := s.s.Err(); err != nil {
		s.err = s.o.classify(s.ctx, err)
		return
	}
	if s.ctx.Err() != nil {
		s.err = classifyTransport(s.ctx, s.o.Name(), s.ctx.Err())
		return
	}
	if s.stop == "" {
		s.err = &Error{Provider: s.o.Name(), Kind: KindTransient, Type: "connection", Err: errors.New("stream ended without a finish reason")}
		return
	}
	s.push(Event{Type: EventStop, StopReason: s.stop})
}

func (s *openAIStream) Event() Event { return s.ev }
func (s *openAIStream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}
func (s *openAIStream) Close() error { return s.s.Close() }

func openAIStop(r string) StopReason {
	switch r {
	case "stop":
		return StopEndTurn
	case "tool_calls", "function_call":
		return StopToolUse
	case "length":
		return StopMaxTokens
	case "content_filter":
		return StopRefusal
	}
	return StopOther
}

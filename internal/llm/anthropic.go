package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/ssestream"
)

// maxCacheBreakpoints is Anthropic's limit of cache_control breakpoints per request.
const maxCacheBreakpoints = 4

// Anthropic is the Claude adapter on the official SDK's streaming Messages API.
type Anthropic struct {
	cfg    ProviderConfig
	client anthropic.Client
}

// NewAnthropic returns the Claude adapter. The SDK's own retries are off: the router
// retries, so that it can fall back and count failures for the breaker.
func NewAnthropic(cfg ProviderConfig) *Anthropic {
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithoutOpenTelemetry(),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(0),
		option.WithHTTPClient(cfg.httpClient()),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	return &Anthropic{cfg: cfg, client: anthropic.NewClient(opts...)}
}

// Name returns "anthropic".
func (a *Anthropic) Name() string { return "anthropic" }

// Model returns the model serving tier t.
func (a *Anthropic) Model(t Tier) string { return a.cfg.model(t) }

// Open sends the request and returns once the response headers arrived.
func (a *Anthropic) Open(ctx context.Context, model string, req *Request) (Stream, error) {
	params, err := a.Params(model, req)
	if err != nil {
		return nil, &Error{Provider: a.Name(), Kind: KindInvalid, Err: err}
	}
	// The SDK sends the request (auth, headers, error decoding) and frames the event
	// stream; each event's JSON is decoded into anthropicEvent, the fields Ally reads,
	// rather than the SDK's MessageStreamEventUnion, whose reflective decoder keeps every
	// field's raw JSON and cost about a third of the server's CPU per streamed reply.
	var raw *http.Response
	err = a.client.Post(ctx, "v1/messages", params, &raw, option.WithJSONSet("stream", true))
	s := ssestream.NewStream[anthropicEvent](ssestream.NewDecoder(raw), err)
	if err := s.Err(); err != nil {
		s.Close()
		return nil, a.classify(ctx, err)
	}
	return &anthropicStream{a: a, ctx: ctx, s: s}, nil
}

// anthropicEvent is one event of the Messages API's stream, as far as Ally reads it
// (https://docs.anthropic.com/en/api/messages-streaming).
type anthropicEvent struct {
	Type    string `json:"type"`
	Index   int64  `json:"index"`
	Message struct {
		Usage anthropicUsage `json:"usage"`
	} `json:"message"`
	ContentBlock struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
		Text string `json:"text"`
	} `json:"content_block"`
	Delta struct {
		Type        string               `json:"type"`
		Text        string               `json:"text"`
		PartialJSON string               `json:"partial_json"`
		StopReason  anthropic.StopReason `json:"stop_reason"`
	} `json:"delta"`
	Usage anthropicUsage `json:"usage"`
}

type anthropicUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheCreation            struct {
		Ephemeral5mInputTokens int64 `json:"ephemeral_5m_input_tokens"`
		Ephemeral1hInputTokens int64 `json:"ephemeral_1h_input_tokens"`
	} `json:"cache_creation"`
}

// Params converts a request to the SDK's parameters, with cache breakpoints on the tools,
// the system blocks marked Cache and the last stable message (four at most; when more
// system blocks are marked, the later ones win, since a breakpoint covers all before it).
// The tools and system breakpoints cover the prefix that is stable across conversations
// and get the configured lifetime (CacheTTL, 5m or 1h); the message breakpoint covers a
// conversation's history, which changes every turn, and always gets 5 minutes (the API
// requires longer lifetimes to come first, which this order keeps).
func (a *Anthropic) Params(model string, req *Request) (anthropic.MessageNewParams, error) {
	cc := anthropic.NewCacheControlEphemeralParam()
	if a.cfg.CacheTTL == "1h" {
		cc.TTL = anthropic.CacheControlEphemeralTTLTTL1h
	}
	history := anthropic.NewCacheControlEphemeralParam()
	budget := maxCacheBreakpoints
	p := anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: req.maxTokens()}

	if len(req.Tools) > 0 {
		p.Tools = make([]anthropic.ToolUnionParam, len(req.Tools))
		for i, t := range req.Tools {
			schema, err := anthropicSchema(t.Schema)
			if err != nil {
				return p, errors.New("tool " + t.Name + ": " + err.Error())
			}
			tp := &anthropic.ToolParam{Name: t.Name, InputSchema: schema}
			if t.Description != "" {
				tp.Description = anthropic.String(t.Description)
			}
			p.Tools[i] = anthropic.ToolUnionParam{OfTool: tp}
		}
		p.Tools[len(p.Tools)-1].OfTool.CacheControl = cc
		budget--
	}

	hasMessageBreakpoint := req.StableMessages > 0 && req.StableMessages <= len(req.Messages)
	if hasMessageBreakpoint {
		budget--
	}
	p.System = make([]anthropic.TextBlockParam, 0, len(req.System))
	for _, b := range req.System {
		if b.Text != "" {
			p.System = append(p.System, anthropic.TextBlockParam{Text: b.Text})
		}
	}
	for i, j := len(req.System)-1, len(p.System)-1; i >= 0 && budget > 0; i-- {
		if req.System[i].Text == "" {
			continue
		}
		if req.System[i].Cache {
			p.System[j].CacheControl = cc
			budget--
		}
		j--
	}

	p.Messages = make([]anthropic.MessageParam, 0, len(req.Messages))
	for i, m := range req.Messages {
		content := make([]anthropic.ContentBlockParamUnion, 0, len(m.Parts))
		for _, part := range m.Parts {
			switch part.Type {
			case PartText:
				if part.Text != "" {
					content = append(content, anthropic.NewTextBlock(part.Text))
				}
			case PartToolUse:
				content = append(content, anthropic.NewToolUseBlock(part.ToolCallID, jsonObject(part.Input), part.ToolName))
			case PartToolResult:
				if part.Text == "" {
					// An empty text block is refused; a result may have no content at all.
					tr := &anthropic.ToolResultBlockParam{ToolUseID: part.ToolCallID}
					if part.IsError {
						tr.IsError = anthropic.Bool(true)
					}
					content = append(content, anthropic.ContentBlockParamUnion{OfToolResult: tr})
				} else {
					content = append(content, anthropic.NewToolResultBlock(part.ToolCallID, part.Text, part.IsError))
				}
			}
		}
		if len(content) == 0 {
			continue
		}
		if hasMessageBreakpoint && i == req.StableMessages-1 {
			setCacheControl(&content[stableEnd(m, len(content))], history)
		}
		if m.Role == RoleAssistant {
			p.Messages = append(p.Messages, anthropic.NewAssistantMessage(content...))
		} else {
			p.Messages = append(p.Messages, anthropic.NewUserMessage(content...))
		}
	}
	return p, nil
}

// stableEnd is the index of the last content block of m (n blocks) before its trailing
// volatile parts, or the last block when all are volatile.
func stableEnd(m Message, n int) int {
	volatile := 0
	for i := len(m.Parts) - 1; i >= 0 && m.Parts[i].Volatile; i-- {
		if m.Parts[i].Text != "" {
			volatile++
		}
	}
	if volatile >= n {
		return n - 1
	}
	return n - 1 - volatile
}

func setCacheControl(b *anthropic.ContentBlockParamUnion, cc anthropic.CacheControlEphemeralParam) {
	switch {
	case b.OfText != nil:
		b.OfText.CacheControl = cc
	case b.OfToolUse != nil:
		b.OfToolUse.CacheControl = cc
	case b.OfToolResult != nil:
		b.OfToolResult.CacheControl = cc
	}
}

// jsonObject returns raw tool arguments, or {} when there are none: the API requires an
// object.
func jsonObject(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

// anthropicSchema splits a JSON schema into the SDK's input schema fields.
func anthropicSchema(raw json.RawMessage) (anthropic.ToolInputSchemaParam, error) {
	var s anthropic.ToolInputSchemaParam
	if len(raw) == 0 {
		return s, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return s, errors.New("schema is not a JSON object")
	}
	s.Properties = m["properties"]
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				s.Required = append(s.Required, name)
			}
		}
	}
	delete(m, "properties")
	delete(m, "required")
	delete(m, "type")
	if len(m) > 0 {
		s.ExtraFields = m
	}
	return s, nil
}

// classify turns an SDK or network error into an *Error.
func (a *Anthropic) classify(ctx context.Context, err error) *Error {
	var ae *anthropic.Error
	if ctx.Err() != nil || !errors.As(err, &ae) {
		return classifyTransport(ctx, a.Name(), err)
	}
	e := &Error{Provider: a.Name(), Status: ae.StatusCode, Type: string(ae.Type()), Err: err}
	if ae.Response != nil {
		e.RetryAfter = parseRetryAfter(ae.Response.Header, time.Now())
	}
	if ae.StatusCode >= 200 && ae.StatusCode < 300 {
		// An error event in a stream that began with 200: the type says what happened.
		e.Status = 0
		e.Kind = anthropicKindForType(e.Type, ae.Message)
		return e
	}
	e.Kind = kindForStatus(ae.StatusCode, e.Type, ae.Message)
	return e
}

func anthropicKindForType(t, message string) Kind {
	switch t {
	case "overloaded_error", "api_error", "rate_limit_error", "timeout_error", "":
		return KindTransient
	case "authentication_error", "permission_error", "billing_error":
		return KindAuth
	case "request_too_large":
		return KindContextTooLong
	}
	if isContextTooLong(t, message) {
		return KindContextTooLong
	}
	return KindInvalid
}

// anthropicStream translates the SDK's event stream into Events.
type anthropicStream struct {
	a     *Anthropic
	ctx   context.Context
	s     *ssestream.Stream[anthropicEvent]
	ev    Event
	usage Usage
	stop  StopReason
	tools []bool // tools[i]: content block i is a tool call
	done  bool
	err   error
}

func (s *anthropicStream) Next() bool {
	for !s.done && s.s.Next() {
		u := s.s.Current()
		switch u.Type {
		case "message_start":
			mu := &u.Message.Usage
			s.usage = Usage{
				InputTokens:        mu.InputTokens,
				OutputTokens:       mu.OutputTokens,
				CacheReadTokens:    mu.CacheReadInputTokens,
				CacheWriteTokens:   mu.CacheCreationInputTokens,
				CacheWrite5mTokens: mu.CacheCreation.Ephemeral5mInputTokens,
				CacheWrite1hTokens: mu.CacheCreation.Ephemeral1hInputTokens,
			}
			s.ev = Event{Type: EventUsage, Usage: s.usage}
			return true
		case "content_block_start":
			i := int(u.Index)
			for len(s.tools) <= i {
				s.tools = append(s.tools, false)
			}
			switch u.ContentBlock.Type {
			case "tool_use":
				s.tools[i] = true
				s.ev = Event{Type: EventToolStart, Index: i, ToolCallID: u.ContentBlock.ID, ToolName: u.ContentBlock.Name}
				return true
			case "text":
				if u.ContentBlock.Text != "" {
					s.ev = Event{Type: EventText, Index: i, Text: u.ContentBlock.Text}
					return true
				}
			}
		case "content_block_delta":
			switch u.Delta.Type {
			case "text_delta":
				s.ev = Event{Type: EventText, Index: int(u.Index), Text: u.Delta.Text}
				return true
			case "input_json_delta":
				s.ev = Event{Type: EventToolDelta, Index: int(u.Index), Text: u.Delta.PartialJSON}
				return true
			}
		case "content_block_stop":
			if i := int(u.Index); i < len(s.tools) && s.tools[i] {
				s.ev = Event{Type: EventToolEnd, Index: i}
				return true
			}
		case "message_delta":
			s.stop = anthropicStop(u.Delta.StopReason)
			// message_delta usage is cumulative; input and cache counts appear only when
			// the API has them, so zero means "unchanged".
			du := &u.Usage
			s.usage.OutputTokens = du.OutputTokens
			if du.InputTokens > 0 {
				s.usage.InputTokens = du.InputTokens
			}
			if du.CacheReadInputTokens > 0 {
				s.usage.CacheReadTokens = du.CacheReadInputTokens
			}
			if du.CacheCreationInputTokens > 0 {
				s.usage.CacheWriteTokens = du.CacheCreationInputTokens
			}
			s.ev = Event{Type: EventUsage, Usage: s.usage}
			return true
		case "message_stop":
			s.done = true
			s.ev = Event{Type: EventStop, StopReason: s.stop}
			return true
		}
	}
	if s.done {
		return false
	}
	s.done = true
	if err := s.s.Err(); err != nil {
		s.err = s.a.classify(s.ctx, err)
	} else if s.ctx.Err() != nil {
		s.err = classifyTransport(s.ctx, s.a.Name(), s.ctx.Err())
	} else {
		s.err = &Error{Provider: s.a.Name(), Kind: KindTransient, Type: "connection", Err: errors.New("stream ended before message_stop")}
	}
	return false
}

func (s *anthropicStream) Event() Event { return s.ev }
func (s *anthropicStream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}
func (s *anthropicStream) Close() error { return s.s.Close() }

func anthropicStop(r anthropic.StopReason) StopReason {
	switch r {
	case anthropic.StopReasonEndTurn, anthropic.StopReasonPauseTurn:
		return StopEndTurn
	case anthropic.StopReasonToolUse:
		return StopToolUse
	case anthropic.StopReasonMaxTokens, anthropic.StopReasonModelContextWindowExceeded:
		return StopMaxTokens
	case anthropic.StopReasonStopSequence:
		return StopSequence
	case anthropic.StopReasonRefusal:
		return StopRefusal
	}
	return StopOther
}

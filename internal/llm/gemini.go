package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"google.golang.org/genai"
)

// Gemini is the adapter on the official genai SDK's streamGenerateContent.
type Gemini struct {
	cfg    ProviderConfig
	client *genai.Client
}

// NewGemini returns the Gemini adapter. The SDK retries nothing unless told to.
func NewGemini(cfg ProviderConfig) (*Gemini, error) {
	cc := &genai.ClientConfig{APIKey: cfg.APIKey, Backend: genai.BackendGeminiAPI, HTTPClient: cfg.httpClient()}
	cc.HTTPOptions.BaseURL = cfg.BaseURL
	c, err := genai.NewClient(context.Background(), cc)
	if err != nil {
		return nil, err
	}
	return &Gemini{cfg: cfg, client: c}, nil
}

// Name returns "gemini".
func (g *Gemini) Name() string { return "gemini" }

// Model returns the model serving tier t.
func (g *Gemini) Model(t Tier) string { return g.cfg.model(t) }

// Open prepares the call. The SDK connects on the first read, so the request is sent,
// and its errors reported, by the stream's first Next: the router's first-token timeout
// covers the whole wait.
func (g *Gemini) Open(ctx context.Context, model string, req *Request) (Stream, error) {
	contents, cfg, err := g.Params(req)
	if err != nil {
		return nil, &Error{Provider: g.Name(), Kind: KindInvalid, Err: err}
	}
	next, stop := iter.Pull2(g.client.Models.GenerateContentStream(ctx, model, contents, cfg))
	return &geminiStream{g: g, ctx: ctx, next: next, stop: stop}, nil
}

// Params converts a request to the SDK's contents and configuration.
func (g *Gemini) Params(req *Request) ([]*genai.Content, *genai.GenerateContentConfig, error) {
	cfg := &genai.GenerateContentConfig{MaxOutputTokens: int32(req.maxTokens()), AutomaticContinuation: genai.Ptr(false)}
	var sys []*genai.Part
	for _, b := range req.System {
		if b.Text != "" {
			sys = append(sys, &genai.Part{Text: b.Text})
		}
	}
	if len(sys) > 0 {
		cfg.SystemInstruction = &genai.Content{Parts: sys}
	}
	if len(req.Tools) > 0 {
		decls := make([]*genai.FunctionDeclaration, len(req.Tools))
		for i, t := range req.Tools {
			decls[i] = &genai.FunctionDeclaration{Name: t.Name, Description: t.Description}
			if len(t.Schema) > 0 {
				if !json.Valid(t.Schema) {
					return nil, nil, errors.New("tool " + t.Name + ": schema is not valid JSON")
				}
				decls[i].ParametersJsonSchema = t.Schema
			}
		}
		cfg.Tools = []*genai.Tool{{FunctionDeclarations: decls}}
	}
	contents := make([]*genai.Content, 0, len(req.Messages))
	for _, m := range req.Messages {
		c := &genai.Content{Role: genai.RoleUser}
		if m.Role == RoleAssistant {
			c.Role = genai.RoleModel
		}
		for _, p := range m.Parts {
			switch p.Type {
			case PartText:
				if p.Text != "" {
					c.Parts = append(c.Parts, &genai.Part{Text: p.Text})
				}
			case PartToolUse:
				var args map[string]any
				if len(p.Input) > 0 {
					if err := json.Unmarshal(p.Input, &args); err != nil {
						return nil, nil, errors.New("tool call " + p.ToolCallID + ": input is not a JSON object")
					}
				}
				c.Parts = append(c.Parts, &genai.Part{FunctionCall: &genai.FunctionCall{ID: p.ToolCallID, Name: p.ToolName, Args: args}, ThoughtSignature: p.Signature})
			case PartToolResult:
				key := "output"
				if p.IsError {
					key = "error"
				}
				c.Parts = append(c.Parts, &genai.Part{FunctionResponse: &genai.FunctionResponse{ID: p.ToolCallID, Name: p.ToolName, Response: map[string]any{key: p.Text}}})
			}
		}
		if len(c.Parts) > 0 {
			contents = append(contents, c)
		}
	}
	return contents, cfg, nil
}

func (g *Gemini) classify(ctx context.Context, err error) *Error {
	var ae genai.APIError
	if ctx.Err() != nil || !errors.As(err, &ae) {
		return classifyTransport(ctx, g.Name(), err)
	}
	e := &Error{Provider: g.Name(), Status: ae.Code, Type: ae.Status, Err: err}
	e.Kind = kindForStatus(ae.Code, ae.Status, ae.Message)
	if ae.Code == 0 {
		e.Kind = KindTransient
	}
	for _, d := range ae.Details {
		if s, ok := d["retryDelay"].(string); ok {
			if v, err := time.ParseDuration(s); err == nil {
				e.RetryAfter = v
			}
		}
	}
	return e
}

// geminiStream translates response chunks into Events. Text is block 0; function call i
// is block i+1. Gemini sends each call whole, so it becomes start, one delta and end.
type geminiStream struct {
	g      *Gemini
	ctx    context.Context
	next   func() (*genai.GenerateContentResponse, error, bool)
	stop   func()
	queue  []Event
	head   int
	ev     Event
	calls  int
	reason StopReason
	ended  bool
	err    error
}

func (s *geminiStream) translate(r *genai.GenerateContentResponse) {
	if u := r.UsageMetadata; u != nil {
		cached := int64(u.CachedContentTokenCount)
		s.queue = append(s.queue, Event{Type: EventUsage, Usage: Usage{
			InputTokens: int64(u.PromptTokenCount) - cached, CacheReadTokens: cached,
			OutputTokens: int64(u.CandidatesTokenCount) + int64(u.ThoughtsTokenCount),
		}})
	}
	if len(r.Candidates) == 0 {
		return
	}
	c := r.Candidates[0]
	if c.Content != nil {
		for _, p := range c.Content.Parts {
			switch {
			case p.FunctionCall != nil:
				s.calls++
				fc := p.FunctionCall
				id := fc.ID
				if id == "" {
					id = "call_" + strconv.Itoa(s.calls)
				}
				args, _ := json.Marshal(fc.Args)
				if fc.Args == nil {
					args = []byte("{}")
				}
				s.queue = append(s.queue,
					Event{Type: EventToolStart, Index: s.calls, ToolCallID: id, ToolName: fc.Name, Signature: p.ThoughtSignature},
					Event{Type: EventToolDelta, Index: s.calls, Text: string(args)},
					Event{Type: EventToolEnd, Index: s.calls})
			case p.Text != "" && !p.Thought:
				s.queue = append(s.queue, Event{Type: EventText, Text: p.Text})
			}
		}
	}
	if c.FinishReason != "" && c.FinishReason != genai.FinishReasonUnspecified {
		s.reason = geminiStop(c.FinishReason, s.calls > 0)
	}
}

func (s *geminiStream) Next() bool {
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
		r, err, ok := s.pull()
		switch {
		case err != nil:
			s.ended = true
			if le, isOurs := err.(*Error); isOurs {
				s.err = le
			} else {
				s.err = s.g.classify(s.ctx, err)
			}
		case !ok:
			s.ended = true
			if s.ctx.Err() != nil {
				s.err = classifyTransport(s.ctx, s.g.Name(), s.ctx.Err())
			} else if s.reason == "" {
				s.err = &Error{Provider: s.g.Name(), Kind: KindTransient, Type: "connection", Err: errors.New("stream ended without a finish reason")}
			} else {
				s.queue = append(s.queue, Event{Type: EventStop, StopReason: s.reason})
			}
		default:
			s.translate(r)
		}
	}
}

// pull reads the next chunk. The SDK converts each chunk's JSON with unchecked type
// assertions, so a malformed answer (say "candidates" as a string) panics inside it: that
// is the provider's failure to answer, not Ally's crash, and it ends the stream with an
// error the router can fall back from.
func (s *geminiStream) pull() (r *genai.GenerateContentResponse, err error, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r, err, ok = nil, &Error{Provider: s.g.Name(), Kind: KindTransient, Type: "malformed_response",
				Err: fmt.Errorf("gemini: malformed response: %v", p)}, true
		}
	}()
	return s.next()
}

func (s *geminiStream) Event() Event { return s.ev }
func (s *geminiStream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}
func (s *geminiStream) Close() error { s.stop(); return nil }

func geminiStop(r genai.FinishReason, calls bool) StopReason {
	switch r {
	case genai.FinishReasonStop:
		if calls {
			return StopToolUse
		}
		return StopEndTurn
	case genai.FinishReasonMaxTokens:
		return StopMaxTokens
	case genai.FinishReasonSafety, genai.FinishReasonProhibitedContent, genai.FinishReasonBlocklist,
		genai.FinishReasonSPII, genai.FinishReasonRecitation:
		return StopRefusal
	}
	return StopOther
}

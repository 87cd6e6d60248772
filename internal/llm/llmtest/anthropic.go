package llmtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"myally.app/ally/internal/llm"
)

type anthropicRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
}

type anthropicBlock struct {
	Type    string          `json:"type"`
	Text    string          `json:"text"`
	Content json.RawMessage `json:"content"`
}

func (s *Server) anthropicIncoming(body []byte) (*Incoming, *anthropicRequest, error) {
	var req anthropicRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, nil, err
	}
	in := &Incoming{Provider: Anthropic, Model: req.Model, Bytes: len(body)}
	for _, t := range req.Tools {
		in.Tools = append(in.Tools, t.Name)
	}
	if n := len(req.Messages); n > 0 {
		in.LastText, in.LastIsToolResult = anthropicContentText(req.Messages[n-1].Content)
	}
	return in, &req, nil
}

func anthropicContentText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, false
	}
	var blocks []anthropicBlock
	json.Unmarshal(raw, &blocks)
	var texts []string
	toolResult := false
	for _, b := range blocks {
		switch b.Type {
		case "text":
			texts = append(texts, b.Text)
		case "tool_result":
			toolResult = true
			t, _ := anthropicContentText(b.Content)
			texts = append(texts, t)
		}
	}
	return joinText(texts), toolResult
}

// anthropicErrorType is the error type Anthropic sends with each status.
func anthropicErrorType(status int) string {
	switch status {
	case 400:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 402:
		return "billing_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 504:
		return "timeout_error"
	case 529:
		return "overloaded_error"
	}
	return "api_error"
}

func (s *Server) anthropicError(w http.ResponseWriter, r *Reply) {
	typ, msg := r.ErrorType, r.ErrorMessage
	if typ == "" {
		typ = anthropicErrorType(r.Status)
	}
	if msg == "" {
		msg = strings.ReplaceAll(strings.TrimSuffix(typ, "_error"), "_", " ")
	}
	if r.RetryAfter != "" {
		w.Header().Set("Retry-After", r.RetryAfter)
	}
	id := s.id("req_")
	w.Header().Set("Request-Id", id)
	writeJSON(w, r.Status, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}, "request_id": id})
}

func anthropicUsage(in *Incoming, r *Reply, chunks int) map[string]any {
	input, output := r.usage(in, chunks)
	return map[string]any{
		"input_tokens":                input,
		"output_tokens":               output,
		"cache_read_input_tokens":     r.Usage.CacheReadTokens,
		"cache_creation_input_tokens": r.Usage.CacheWriteTokens,
		"cache_creation": map[string]any{
			"ephemeral_5m_input_tokens": r.Usage.CacheWrite5mTokens,
			"ephemeral_1h_input_tokens": r.Usage.CacheWrite1hTokens,
		},
		"service_tier": "standard",
	}
}

func (s *Server) anthropicMessages(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(Anthropic, r)
	in, req, err := s.anthropicIncoming(body)
	if err != nil {
		s.anthropicError(w, &Reply{Status: 400, ErrorMessage: "request body is not valid JSON"})
		return
	}
	if r.Header.Get("X-Api-Key") == "" && r.Header.Get("Authorization") == "" {
		s.anthropicError(w, &Reply{Status: 401, ErrorMessage: "x-api-key header is required"})
		return
	}
	if r.Header.Get("Anthropic-Version") == "" {
		s.anthropicError(w, &Reply{Status: 400, ErrorMessage: "anthropic-version: header is required"})
		return
	}
	reply := s.next(in)
	if reply.Status != 0 {
		s.anthropicError(w, &reply)
		return
	}
	if s.opts.Cache != nil && reply.Usage.InputTokens == 0 {
		res, err := s.opts.Cache.apply(body)
		if err != nil {
			s.anthropicError(w, &Reply{Status: 400, ErrorMessage: err.Error()})
			return
		}
		reply.cached = true
		reply.Usage.InputTokens = res.InputTokens
		reply.Usage.CacheReadTokens = res.CacheReadTokens
		reply.Usage.CacheWriteTokens = res.CacheCreationTokens
		reply.Usage.CacheWrite5mTokens = res.Creation5mTokens
		reply.Usage.CacheWrite1hTokens = res.Creation1hTokens
	}
	if !req.Stream {
		writeJSON(w, 200, anthropicMessage(s.id("msg_"), in, &reply))
		return
	}
	s.anthropicStream(w, r, in, &reply)
}

// anthropicMessage is the non-streamed Message object (also a batch result).
func anthropicMessage(id string, in *Incoming, r *Reply) map[string]any {
	chunks := Chunks(r.Text)
	content := []map[string]any{}
	if r.Text != "" {
		content = append(content, map[string]any{"type": "text", "text": r.Text})
	}
	for i, tc := range r.ToolCalls {
		content = append(content, map[string]any{"type": "tool_use", "id": toolID(tc, "toolu_", i), "name": tc.Name, "input": json.RawMessage(tc.Input)})
	}
	return map[string]any{
		"id": id, "type": "message", "role": "assistant", "model": in.Model, "content": content,
		"stop_reason": string(r.stop()), "stop_sequence": nil, "usage": anthropicUsage(in, r, len(chunks)),
	}
}

func toolID(tc ToolCall, prefix string, i int) string {
	if tc.ID != "" {
		return tc.ID
	}
	return prefix + strconv.Itoa(i+1)
}

func (s *Server) anthropicStream(w http.ResponseWriter, r *http.Request, in *Incoming, reply *Reply) {
	e := newSSE(w, r, reply)
	w.Header().Set("Request-Id", s.id("req_"))
	if !e.start() {
		return
	}
	chunks := Chunks(reply.Text)
	start := anthropicUsage(in, reply, 0)
	start["output_tokens"] = 1
	e.event("message_start", mustJSON(map[string]any{"type": "message_start", "message": map[string]any{
		"id": s.id("msg_"), "type": "message", "role": "assistant", "model": in.Model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": start,
	}}))
	e.event("ping", []byte(`{"type": "ping"}`))
	fail := func(what string) bool {
		switch what {
		case "error":
			typ := reply.ErrorType
			if typ == "" {
				typ = "overloaded_error"
			}
			msg := reply.ErrorMessage
			if msg == "" {
				msg = "Overloaded"
			}
			e.event("error", mustJSON(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}}))
			return true
		case "disconnect":
			disconnect()
		}
		return false
	}
	index := 0
	if len(chunks) > 0 {
		e.event("content_block_start", []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`))
		for _, c := range chunks {
			if fail(e.beforeChunk()) {
				return
			}
			e.event("content_block_delta", mustJSON(anthropicDelta{Type: "content_block_delta", Index: 0, Delta: anthropicTextDelta{Type: "text_delta", Text: c}}))
		}
		e.event("content_block_stop", []byte(`{"type":"content_block_stop","index":0}`))
		index++
	}
	if fail(e.afterText()) {
		return
	}
	for i, tc := range reply.ToolCalls {
		e.event("content_block_start", mustJSON(map[string]any{"type": "content_block_start", "index": index,
			"content_block": map[string]any{"type": "tool_use", "id": toolID(tc, "toolu_", i), "name": tc.Name, "input": map[string]any{}}}))
		for _, part := range splitHalf(tc.Input) {
			e.event("content_block_delta", mustJSON(map[string]any{"type": "content_block_delta", "index": index,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": part}}))
		}
		e.event("content_block_stop", mustJSON(map[string]any{"type": "content_block_stop", "index": index}))
		index++
	}
	// message_delta carries the cumulative usage of the whole call.
	e.event("message_delta", mustJSON(map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": string(anthropicStopReason(reply.stop())), "stop_sequence": nil},
		"usage": anthropicUsage(in, reply, len(chunks))}))
	e.event("message_stop", []byte(`{"type":"message_stop"}`))
}

type anthropicDelta struct {
	Type  string             `json:"type"`
	Index int                `json:"index"`
	Delta anthropicTextDelta `json:"delta"`
}

type anthropicTextDelta struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func anthropicStopReason(r llm.StopReason) string {
	if r == llm.StopSequence {
		return "stop_sequence"
	}
	return string(r)
}

// splitHalf splits JSON text in two pieces, as models stream arguments in fragments.
func splitHalf(s string) []string {
	if len(s) < 2 {
		return []string{s}
	}
	return []string{s[:len(s)/2], s[len(s)/2:]}
}

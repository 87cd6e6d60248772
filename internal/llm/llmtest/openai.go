package llmtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"myally.app/ally/internal/llm"
)

type openAIRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

func openAIText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	json.Unmarshal(raw, &parts)
	var texts []string
	for _, p := range parts {
		if p.Type == "text" {
			texts = append(texts, p.Text)
		}
	}
	return joinText(texts)
}

func openAIErrorType(status int) (typ, code string) {
	switch status {
	case 400:
		return "invalid_request_error", ""
	case 401:
		return "invalid_request_error", "invalid_api_key"
	case 403:
		return "invalid_request_error", "unsupported_country_region_territory"
	case 404:
		return "invalid_request_error", "model_not_found"
	case 429:
		return "requests", "rate_limit_exceeded"
	}
	return "server_error", ""
}

func (s *Server) openAIError(w http.ResponseWriter, r *Reply) {
	typ, code := openAIErrorType(r.Status)
	if r.ErrorType != "" {
		code = r.ErrorType
	}
	msg := r.ErrorMessage
	if msg == "" {
		msg = "The fake server failed as scripted."
	}
	if r.RetryAfter != "" {
		w.Header().Set("Retry-After", r.RetryAfter)
	}
	var c any
	if code != "" {
		c = code
	}
	writeJSON(w, r.Status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

func (s *Server) openAIChat(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(OpenAI, r)
	var req openAIRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.openAIError(w, &Reply{Status: 400, ErrorMessage: "We could not parse the JSON body of your request."})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		s.openAIError(w, &Reply{Status: 401, ErrorMessage: "You didn't provide an API key."})
		return
	}
	in := &Incoming{Provider: OpenAI, Model: req.Model, Bytes: len(body)}
	for _, t := range req.Tools {
		in.Tools = append(in.Tools, t.Function.Name)
	}
	if n := len(req.Messages); n > 0 {
		last := req.Messages[n-1]
		in.LastText, in.LastIsToolResult = openAIText(last.Content), last.Role == "tool"
	}
	reply := s.next(in)
	if reply.Status != 0 {
		s.openAIError(w, &reply)
		return
	}
	if !req.Stream {
		s.openAIError(w, &Reply{Status: 400, ErrorMessage: "The fake server streams only: set stream to true."})
		return
	}
	s.openAIStream(w, r, in, &reply, req.StreamOptions.IncludeUsage)
}

type openAIChunk struct {
	ID      string         `json:"id"`
	Object  string         `json:"object"`
	Created int64          `json:"created"`
	Model   string         `json:"model"`
	Choices []openAIChoice `json:"choices"`
	Usage   any            `json:"usage,omitempty"`
}

type openAIChoice struct {
	Index        int            `json:"index"`
	Delta        map[string]any `json:"delta"`
	FinishReason *string        `json:"finish_reason"`
}

func (s *Server) openAIStream(w http.ResponseWriter, r *http.Request, in *Incoming, reply *Reply, includeUsage bool) {
	e := newSSE(w, r, reply)
	if !e.start() {
		return
	}
	chunk := openAIChunk{ID: s.id("chatcmpl-"), Object: "chat.completion.chunk", Created: time.Now().Unix(), Model: in.Model}
	send := func(delta map[string]any, finish *string) {
		chunk.Choices = []openAIChoice{{Delta: delta, FinishReason: finish}}
		e.event("", mustJSON(chunk))
	}
	fail := func(what string) bool {
		switch what {
		case "error":
			msg := reply.ErrorMessage
			if msg == "" {
				msg = "The server had an error while processing your request."
			}
			e.event("", mustJSON(map[string]any{"error": map[string]any{"message": msg, "type": "server_error", "param": nil, "code": nil}}))
			return true
		case "disconnect":
			disconnect()
		}
		return false
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil)
	chunks := Chunks(reply.Text)
	for _, c := range chunks {
		if fail(e.beforeChunk()) {
			return
		}
		send(map[string]any{"content": c}, nil)
	}
	if fail(e.afterText()) {
		return
	}
	for i, tc := range reply.ToolCalls {
		send(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": toolID(tc, "call_", i), "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": ""}}}}, nil)
		for _, part := range splitHalf(tc.Input) {
			send(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": part}}}}, nil)
		}
	}
	finish := openAIFinish(reply.stop())
	send(map[string]any{}, &finish)
	if includeUsage {
		input, output := reply.usage(in, len(chunks))
		prompt := input + reply.Usage.CacheReadTokens + reply.Usage.CacheWriteTokens
		chunk.Choices = []openAIChoice{}
		chunk.Usage = map[string]any{
			"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output,
			"prompt_tokens_details":     map[string]any{"cached_tokens": reply.Usage.CacheReadTokens, "cache_write_tokens": reply.Usage.CacheWriteTokens, "audio_tokens": 0},
			"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0},
		}
		e.event("", mustJSON(chunk))
	}
	e.event("", []byte("[DONE]"))
}

func openAIFinish(r llm.StopReason) string {
	switch r {
	case llm.StopToolUse:
		return "tool_calls"
	case llm.StopMaxTokens:
		return "length"
	case llm.StopRefusal:
		return "content_filter"
	}
	return "stop"
}

// geminiModel extracts the model from .../models/{model}:streamGenerateContent.
func geminiModel(path string) string {
	i := strings.LastIndex(path, "/models/")
	if i < 0 {
		return ""
	}
	m, _, _ := strings.Cut(path[i+len("/models/"):], ":")
	return m
}

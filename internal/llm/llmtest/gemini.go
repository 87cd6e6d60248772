package llmtest

import (
	"encoding/json"
	"net/http"
	"strings"

	"myally.app/ally/internal/llm"
)

type geminiRequest struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text             string          `json:"text"`
			FunctionResponse json.RawMessage `json:"functionResponse"`
		} `json:"parts"`
	} `json:"contents"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
}

// geminiStatus is the google.rpc status name Gemini sends with each HTTP status.
func geminiStatus(status int) string {
	switch status {
	case 400:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	return "INTERNAL"
}

func (s *Server) geminiError(w http.ResponseWriter, r *Reply) {
	status := r.ErrorType
	if status == "" {
		status = geminiStatus(r.Status)
	}
	msg := r.ErrorMessage
	if msg == "" {
		msg = "The fake server failed as scripted."
	}
	e := map[string]any{"code": r.Status, "message": msg, "status": status}
	if r.RetryAfter != "" {
		e["details"] = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": r.RetryAfter + "s"}}
	}
	writeJSON(w, r.Status, map[string]any{"error": e})
}

func (s *Server) geminiStream(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(Gemini, r)
	var req geminiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.geminiError(w, &Reply{Status: 400, ErrorMessage: "Invalid JSON payload received."})
		return
	}
	if r.Header.Get("X-Goog-Api-Key") == "" && r.URL.Query().Get("key") == "" {
		s.geminiError(w, &Reply{Status: 403, ErrorMessage: "Method doesn't allow unregistered callers."})
		return
	}
	in := &Incoming{Provider: Gemini, Model: geminiModel(r.URL.Path), Bytes: len(body)}
	for _, t := range req.Tools {
		for _, f := range t.FunctionDeclarations {
			in.Tools = append(in.Tools, f.Name)
		}
	}
	if n := len(req.Contents); n > 0 {
		var texts []string
		for _, p := range req.Contents[n-1].Parts {
			if len(p.FunctionResponse) > 0 {
				in.LastIsToolResult = true
				texts = append(texts, string(p.FunctionResponse))
			} else if p.Text != "" {
				texts = append(texts, p.Text)
			}
		}
		in.LastText = strings.Join(texts, "\n")
	}
	reply := s.next(in)
	if reply.Status != 0 {
		s.geminiError(w, &reply)
		return
	}
	s.geminiSSE(w, r, in, &reply)
}

func (s *Server) geminiSSE(w http.ResponseWriter, r *http.Request, in *Incoming, reply *Reply) {
	e := newSSE(w, r, reply)
	if !e.start() {
		return
	}
	id := s.id("resp-")
	send := func(parts []any, finish string, usage any) {
		cand := map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "index": 0}
		if finish != "" {
			cand["finishReason"] = finish
		}
		msg := map[string]any{"candidates": []any{cand}, "modelVersion": in.Model, "responseId": id}
		if usage != nil {
			msg["usageMetadata"] = usage
		}
		e.event("", mustJSON(msg))
	}
	fail := func(what string) bool {
		switch what {
		case "error":
			msg := reply.ErrorMessage
			if msg == "" {
				msg = "The model is overloaded. Please try again later."
			}
			e.event("", mustJSON(map[string]any{"error": map[string]any{"code": 503, "message": msg, "status": "UNAVAILABLE"}}))
			return true
		case "disconnect":
			disconnect()
		}
		return false
	}
	chunks := Chunks(reply.Text)
	for _, c := range chunks {
		if fail(e.beforeChunk()) {
			return
		}
		send([]any{map[string]any{"text": c}}, "", nil)
	}
	if fail(e.afterText()) {
		return
	}
	var parts []any
	for i, tc := range reply.ToolCalls {
		part := map[string]any{"functionCall": map[string]any{"id": toolID(tc, "fc_", i), "name": tc.Name, "args": json.RawMessage(tc.Input)}}
		if tc.Signature != nil {
			part["thoughtSignature"] = tc.Signature
		}
		parts = append(parts, part)
	}
	input, output := reply.usage(in, len(chunks))
	prompt := input + reply.Usage.CacheReadTokens
	usage := map[string]any{"promptTokenCount": prompt, "candidatesTokenCount": output, "totalTokenCount": prompt + output}
	if reply.Usage.CacheReadTokens > 0 {
		usage["cachedContentTokenCount"] = reply.Usage.CacheReadTokens
	}
	if parts == nil {
		parts = []any{map[string]any{"text": ""}}
	}
	send(parts, geminiFinish(reply.stop()), usage)
}

func geminiFinish(r llm.StopReason) string {
	switch r {
	case llm.StopMaxTokens:
		return "MAX_TOKENS"
	case llm.StopRefusal:
		return "SAFETY"
	}
	// Gemini reports STOP after function calls too.
	return "STOP"
}

package llmtest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sortIDs orders ids made by Server.id by their sequence number.
func sortIDs(ids []string) {
	n := func(id string) int {
		v, _ := strconv.Atoi(id[strings.LastIndexAny(id, "_")+1:])
		return v
	}
	sort.Slice(ids, func(i, j int) bool { return n(ids[i]) < n(ids[j]) })
}

// batch is a Message Batch held by the fake: it ends on the second poll, so clients
// exercise their polling loop.
type batch struct {
	id      string
	created time.Time
	polls   int
	results []map[string]any
	ok, bad int
	// expired marks a batch that ran out of its 24 hours (ExpireBatch): it has ended,
	// and every request without a result is "expired".
	expired bool
}

// ExpireBatch makes batch id end as Anthropic ends a batch past its 24 hours: every
// request's result is of type "expired". It reports whether the batch exists.
func (s *Server) ExpireBatch(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.batches[id]
	if b == nil {
		return false
	}
	b.expired = true
	for i, res := range b.results {
		b.results[i] = map[string]any{"custom_id": res["custom_id"], "result": map[string]any{"type": "expired"}}
	}
	return true
}

// Batches returns the ids of the batches created so far, in order.
func (s *Server) Batches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.batches))
	for id := range s.batches {
		out = append(out, id)
	}
	sortIDs(out)
	return out
}

func (s *Server) anthropicBatches(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v1/messages/batches"), "/")
	if r.Method == http.MethodPost && rest == "" {
		s.createBatch(w, r)
		return
	}
	id, sub, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	b := s.batches[id]
	if b != nil && r.Method == http.MethodGet && sub == "" {
		b.polls++
	}
	s.mu.Unlock()
	if b == nil {
		s.readBody(Anthropic, r)
		s.anthropicError(w, &Reply{Status: 404, ErrorMessage: "batch not found"})
		return
	}
	switch {
	case r.Method == http.MethodGet && sub == "":
		s.readBody(Anthropic, r)
		writeJSON(w, 200, s.batchObject(r, b))
	case r.Method == http.MethodGet && sub == "results":
		s.readBody(Anthropic, r)
		if !s.batchEnded(b) {
			s.anthropicError(w, &Reply{Status: 400, ErrorMessage: "batch is still in progress"})
			return
		}
		w.Header().Set("Content-Type", "application/x-jsonl")
		enc := json.NewEncoder(w)
		s.mu.Lock()
		results := append([]map[string]any(nil), b.results...)
		s.mu.Unlock()
		for _, res := range results {
			enc.Encode(res)
		}
	default:
		s.anthropicError(w, &Reply{Status: 404, ErrorMessage: "not found"})
	}
}

func (s *Server) batchEnded(b *batch) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return b.polls >= 2 || b.expired
}

func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(Anthropic, r)
	var req struct {
		Requests []struct {
			CustomID string          `json:"custom_id"`
			Params   json.RawMessage `json:"params"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Requests) == 0 {
		s.anthropicError(w, &Reply{Status: 400, ErrorMessage: "requests: at least one request is required"})
		return
	}
	b := &batch{id: s.id("msgbatch_"), created: time.Now().UTC()}
	for _, item := range req.Requests {
		in, _, err := s.anthropicIncoming(item.Params)
		if err != nil {
			s.anthropicError(w, &Reply{Status: 400, ErrorMessage: "params: invalid"})
			return
		}
		reply := s.next(in)
		if reply.Status != 0 {
			typ := reply.ErrorType
			if typ == "" {
				typ = anthropicErrorType(reply.Status)
			}
			b.bad++
			b.results = append(b.results, map[string]any{"custom_id": item.CustomID, "result": map[string]any{
				"type": "errored", "error": map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": reply.ErrorMessage}}}})
			continue
		}
		b.ok++
		b.results = append(b.results, map[string]any{"custom_id": item.CustomID, "result": map[string]any{
			"type": "succeeded", "message": anthropicMessage(s.id("msg_"), in, &reply)}})
	}
	s.mu.Lock()
	s.batches[b.id] = b
	s.mu.Unlock()
	writeJSON(w, 200, s.batchObject(r, b))
}

func (s *Server) batchObject(r *http.Request, b *batch) map[string]any {
	ended := s.batchEnded(b)
	o := map[string]any{
		"id": b.id, "type": "message_batch", "created_at": b.created.Format(time.RFC3339),
		"expires_at": b.created.Add(24 * time.Hour).Format(time.RFC3339), "archived_at": nil,
		"cancel_initiated_at": nil, "ended_at": nil, "results_url": nil, "processing_status": "in_progress",
		"request_counts": map[string]any{"processing": len(b.results), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
	}
	if ended {
		o["processing_status"] = "ended"
		o["ended_at"] = time.Now().UTC().Format(time.RFC3339)
		o["results_url"] = "http://" + r.Host + "/v1/messages/batches/" + b.id + "/results"
		o["request_counts"] = map[string]any{"processing": 0, "succeeded": b.ok, "errored": b.bad, "canceled": 0, "expired": 0}
		s.mu.Lock()
		if b.expired {
			o["request_counts"] = map[string]any{"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": len(b.results)}
		}
		s.mu.Unlock()
	}
	return o
}

// Package llmtest holds fakes of the model providers' HTTP APIs, speaking their real wire
// formats so the official SDKs can be pointed at them: Anthropic's /v1/messages (SSE) and
// /v1/messages/batches, OpenAI's /v1/chat/completions (SSE) and Gemini's
// streamGenerateContent?alt=sse. Each test scripts the replies it needs (text, tool calls,
// usage, failures, delays, disconnects) and reads back the requests it received. It also
// holds a fake Clock for the router's breaker, backoff and timeout tests.
package llmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a fake server.
type Options struct {
	// Responder answers requests whose provider has no scripted reply left; nil means
	// DefaultResponder.
	Responder func(in *Incoming) Reply
	// Record keeps every request for Requests (tests); the command leaves it off.
	Record bool
	// Cache, if set, applies Anthropic's prompt caching rules to /v1/messages and reports
	// the usage they give (see PromptCache), unless a scripted reply sets InputTokens.
	Cache *PromptCache
}

// RecordedRequest is a request the fake received.
type RecordedRequest struct {
	Provider Provider
	Method   string
	Path     string
	Header   http.Header
	Body     []byte
}

// JSON decodes the request body into v.
func (r RecordedRequest) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Server is a fake of all three providers behind one http.Handler. Paths do not collide,
// so one address serves them all: point ANTHROPIC_BASE_URL and GOOGLE_GEMINI_BASE_URL at
// its URL and OPENAI_BASE_URL at URL+"/v1".
type Server struct {
	// URL is set by Start.
	URL string

	opts   Options
	mu     sync.Mutex
	queues map[Provider][]Reply
	// titles are the replies scripted for title requests, which never take the replies
	// scripted for turns (they come whenever the job queue runs them).
	titles   map[Provider][]Reply
	requests []RecordedRequest
	batches  map[string]*batch
	seq      int
}

// New returns a fake server; serve it with net/http or use Start in tests.
func New(opts Options) *Server {
	if opts.Responder == nil {
		opts.Responder = DefaultResponder(ScriptOptions{})
	}
	return &Server{opts: opts, queues: map[Provider][]Reply{}, titles: map[Provider][]Reply{}, batches: map[string]*batch{}}
}

// Start runs a recording fake server for the test and closes it at the test's end.
func Start(t testing.TB) *Server {
	s := New(Options{Record: true})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Script queues replies for provider p; each request takes the next one.
func (s *Server) Script(p Provider, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[p] = append(s.queues[p], replies...)
}

// Requests returns the recorded requests to provider p.
func (s *Server) Requests(p Provider) []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RecordedRequest
	for _, r := range s.requests {
		if r.Provider == p {
			out = append(out, r)
		}
	}
	return out
}

// ScriptTitles queues replies for provider p's title requests (see TitleRequestStart).
func (s *Server) ScriptTitles(p Provider, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.titles[p] = append(s.titles[p], replies...)
}

// next returns the scripted reply for p, or asks the responder. Title requests take the
// replies of ScriptTitles, turns those of Script.
func (s *Server) next(in *Incoming) Reply {
	in.LastText = withoutContext(in.LastText)
	queues := s.queues
	if strings.HasPrefix(strings.TrimSpace(in.LastText), TitleRequestStart) {
		queues = s.titles
	}
	s.mu.Lock()
	q := queues[in.Provider]
	if len(q) > 0 {
		queues[in.Provider] = q[1:]
		s.mu.Unlock()
		return q[0]
	}
	s.mu.Unlock()
	return s.opts.Responder(in)
}

func (s *Server) id(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return prefix + strconv.Itoa(s.seq)
}

// ServeHTTP routes to the provider handlers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/v1/messages":
		s.anthropicMessages(w, r)
	case strings.HasPrefix(p, "/v1/messages/batches"):
		s.anthropicBatches(w, r)
	case r.Method == http.MethodPost && p == "/v1/chat/completions":
		s.openAIChat(w, r)
	case r.Method == http.MethodPost && strings.Contains(p, ":streamGenerateContent"):
		s.geminiStream(w, r)
	default:
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
	}
}

// withoutContext drops the volatile context block Ally adds after the person's text
// ("<context>…</context>": date, memory index), so the script answers what they wrote.
func withoutContext(text string) string {
	i := strings.LastIndex(text, "<context>")
	if i < 0 || !strings.HasSuffix(strings.TrimSpace(text), "</context>") {
		return text
	}
	return strings.TrimSpace(text[:i])
}

// readBody reads and, when recording, records the request.
func (s *Server) readBody(p Provider, r *http.Request) []byte {
	// Message Batches may be up to 256 MB.
	body, _ := io.ReadAll(io.LimitReader(r.Body, 256<<20))
	if s.opts.Record {
		s.mu.Lock()
		s.requests = append(s.requests, RecordedRequest{Provider: p, Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
	}
	return body
}

// sse writes server-sent events and paces and breaks them as the reply says.
type sse struct {
	w     http.ResponseWriter
	ctx   context.Context
	reply *Reply
	buf   bytes.Buffer
	n     int // text chunks sent
}

func newSSE(w http.ResponseWriter, r *http.Request, reply *Reply) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	return &sse{w: w, ctx: r.Context(), reply: reply}
}

// start writes the headers, honouring Stall and the first-token delay. It returns false
// when the client went away.
func (e *sse) start() bool {
	if e.reply.StallBeforeHeaders {
		<-e.ctx.Done()
		return false
	}
	e.w.WriteHeader(http.StatusOK)
	e.flush()
	if e.reply.Stall {
		<-e.ctx.Done()
		return false
	}
	return e.wait(e.reply.FirstTokenDelay)
}

func (e *sse) wait(d time.Duration) bool {
	if d <= 0 {
		return e.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.ctx.Done():
		return false
	}
}

// event writes one event; name may be empty (data-only protocols).
func (e *sse) event(name string, data []byte) {
	if name != "" {
		e.buf.WriteString("event: ")
		e.buf.WriteString(name)
		e.buf.WriteByte('\n')
	}
	e.buf.WriteString("data: ")
	e.buf.Write(data)
	e.buf.WriteString("\n\n")
	e.w.Write(e.buf.Bytes())
	e.buf.Reset()
	e.flush()
}

func (e *sse) flush() {
	if f, ok := e.w.(http.Flusher); ok {
		f.Flush()
	}
}

// beforeChunk is called before each text chunk: it paces the stream and reports what to
// do instead of sending the chunk: "" (send it), "error" or "disconnect".
func (e *sse) beforeChunk() string {
	r := e.reply
	if r.MidStreamError && e.n == r.FailAfter {
		return "error"
	}
	if r.Disconnect && e.n == r.DisconnectAfter {
		return "disconnect"
	}
	if e.n > 0 && !e.wait(r.ChunkDelay) {
		return "disconnect"
	}
	e.n++
	return ""
}

// afterText handles failures scripted at or after the end of the text.
func (e *sse) afterText() string {
	r := e.reply
	if r.MidStreamError && e.n <= r.FailAfter {
		return "error"
	}
	if r.Disconnect && e.n <= r.DisconnectAfter {
		return "disconnect"
	}
	return ""
}

// disconnect drops the connection mid-response, as a crashed upstream would.
func disconnect() { panic(http.ErrAbortHandler) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// mustJSON marshals v, which is always marshalable here.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (r *Reply) usage(in *Incoming, chunks int) (input, output int64) {
	input, output = r.Usage.InputTokens, r.Usage.OutputTokens
	if input == 0 && !r.cached {
		input = int64(in.Bytes/4 + 1)
	}
	if output == 0 {
		output = int64(chunks + 2*len(r.ToolCalls))
	}
	return input, output
}

// TurnRequests returns the recorded requests to provider p other than those asking for a
// conversation's title (the small model's background call after a first exchange), which
// come whenever the job queue runs them.
func (s *Server) TurnRequests(p Provider) []RecordedRequest {
	var out []RecordedRequest
	for _, r := range s.Requests(p) {
		if !IsTitleRequest(r) {
			out = append(out, r)
		}
	}
	return out
}

// TitleRequests returns the recorded requests to provider p asking for a title.
func (s *Server) TitleRequests(p Provider) []RecordedRequest {
	var out []RecordedRequest
	for _, r := range s.Requests(p) {
		if IsTitleRequest(r) {
			out = append(out, r)
		}
	}
	return out
}

// IsTitleRequest reports whether r asks for a conversation's title.
func IsTitleRequest(r RecordedRequest) bool {
	return bytes.Contains(r.Body, []byte(TitleRequestStart)) || bytes.Contains(r.Body, []byte(`\u003cfirst_exchange\u003e`))
}

// Package tgtest is a fake of the Telegram Bot API speaking its real wire protocol, so the
// go-telegram/bot client can be pointed at it (ALLY_TELEGRAM_API_URL): the paths
// /bot<token>/<method>, parameters as multipart, JSON, form or query bodies, and the real
// response envelope {ok, result} or {ok:false, error_code, description, parameters}. It
// serves getMe, setWebhook, deleteWebhook, getWebhookInfo, getUpdates (offset, limit and
// long-poll timeout), sendMessage, editMessageText, sendMessageDraft and sendChatAction,
// records every call, and can be scripted to fail (429 with retry_after, 400, 403).
// Updates are pushed to getUpdates or posted to the webhook set with setWebhook.
package tgtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one Bot API call the fake received.
type Call struct {
	Method string
	Params map[string]string
	At     time.Time
	// Status is the error_code answered, 0 for ok.
	Status int
}

// Int returns a numeric parameter (0 if absent).
func (c Call) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.Params[name], 10, 64)
	return n
}

// Failure is a scripted error answer.
type Failure struct {
	Code        int
	Description string
	RetryAfter  int
}

// TooManyRequests is Telegram's flood-control answer.
func TooManyRequests(retryAfter int) Failure {
	return Failure{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), RetryAfter: retryAfter}
}

// NotModified is the answer to an edit that changes nothing.
var NotModified = Failure{Code: 400, Description: "Bad Request: message is not modified: specified new message content and reply markup of message are exactly the same as a current content and reply markup of the message"}

// Blocked is the answer in a chat whose user blocked the bot.
var Blocked = Failure{Code: 403, Description: "Forbidden: bot was blocked by the user"}

// Message is a message the bot sent, as last edited.
type Message struct {
	ID     int64
	ChatID int64
	Text   string
	Edits  int
}

// Server is the fake Bot API.
type Server struct {
	// URL is the base URL (set by Start); Token the bot token it accepts.
	URL, Token string
	// Username is the bot's username in getMe.
	Username string
	// Now is the clock of recorded calls and message dates.
	Now func() time.Time

	mu         sync.Mutex
	calls      []Call
	failures   map[string][]Failure
	blocked    map[int64]bool
	messages   map[int64]*Message
	order      []int64
	nextMsg    int64
	nextUpdate int64
	pending    []json.RawMessage
	pendingIDs []int64
	wake       chan struct{}
	polling    int
	webhook    string
	secret     string
	hs         *httptest.Server
}

// New returns a fake accepting token; serve it with net/http or use Start.
func New(token string) *Server {
	return &Server{Token: token, Username: "ally_test_bot", Now: time.Now, failures: map[string][]Failure{},
		blocked: map[int64]bool{}, messages: map[int64]*Message{}, wake: make(chan struct{}), nextUpdate: 1000}
}

// Start serves a new fake on a local port until the test ends.
func Start(t testing.TB, token string) *Server {
	s := New(token)
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	t.Cleanup(s.hs.Close)
	return s
}

// Fail scripts the next n calls of method to answer f.
func (s *Server) Fail(method string, n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.failures[method] = append(s.failures[method], f)
	}
}

// Block makes every send to chatID answer 403 (the user blocked the bot).
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// Calls returns the calls received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls of methods (all when none) concerning chatID.
func (s *Server) CallsTo(chatID int64, methods ...string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Int("chat_id") != chatID {
			continue
		}
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Sent returns the messages the bot sent in chatID, oldest first, as last edited.
func (s *Server) Sent(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range s.order {
		if m := s.messages[id]; m.ChatID == chatID {
			out = append(out, *m)
		}
	}
	return out
}

// Webhook returns the URL and secret of the webhook set, if any.
func (s *Server) Webhook() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook, s.secret
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// ServeHTTP answers /bot<token>/<method>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || method == "" {
		writeEnvelope(w, nil, &Failure{Code: 404, Description: "Not Found"})
		return
	}
	if token != s.Token {
		writeEnvelope(w, nil, &Failure{Code: 401, Description: "Unauthorized"})
		return
	}
	params, err := readParams(r)
	if err != nil {
		writeEnvelope(w, nil, &Failure{Code: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	result, fail := s.answer(r.Context(), method, params)
	writeEnvelope(w, result, fail)
}

func writeEnvelope(w http.ResponseWriter, result any, f *Failure) {
	w.Header().Set("Content-Type", "application/json")
	if f != nil {
		body := map[string]any{"ok": false, "error_code": f.Code, "description": f.Description}
		if f.RetryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": f.RetryAfter}
		}
		w.WriteHeader(f.Code)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// readParams reads parameters the ways the Bot API accepts them: query string, form,
// multipart form (what go-telegram/bot sends) or a JSON object.
func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	if r.Method != http.MethodPost {
		return out, nil
	}
	ct, ps, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, ps["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return nil, fmt.Errorf("bad multipart body: %v", err)
			}
			b, err := io.ReadAll(io.LimitReader(p, 1<<20))
			if err != nil {
				return nil, err
			}
			out[p.FormName()] = string(b)
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, fmt.Errorf("bad JSON body: %v", err)
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				out[k] = str
			} else {
				out[k] = string(bytes.TrimSpace(v))
			}
		}
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		vs, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, err
		}
		for k, v := range vs {
			out[k] = v[0]
		}
	}
	return out, nil
}

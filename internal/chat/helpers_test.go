package chat_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// env points an instance at the fake providers: Anthropic first, then OpenAI and Gemini.
func env(fake *llmtest.Server, extra ...string) map[string]string {
	e := map[string]string{
		"ANTHROPIC_API_KEY":         "test-key",
		"ANTHROPIC_BASE_URL":        fake.URL,
		"OPENAI_API_KEY":            "test-key",
		"OPENAI_BASE_URL":           fake.URL + "/v1",
		"GEMINI_API_KEY":            "test-key",
		"GOOGLE_GEMINI_BASE_URL":    fake.URL,
		"ALLY_GEMINI_PAID_TIER":     "true",
		"ALLY_CHAT_FLUSH_INTERVAL":  "20ms",
		"ALLY_CHAT_FOLLOW_INTERVAL": "20ms",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(e, extra[i])
		} else {
			e[extra[i]] = extra[i+1]
		}
	}
	return e
}

// start runs an instance on tg against fake.
func start(t testing.TB, tg dbtest.Target, fake *llmtest.Server, extra ...string) *apptest.Server {
	t.Helper()
	s := apptest.Start(t, tg, apptest.Options{Env: env(fake, extra...)})
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(s.Logs.String(), "\n") {
				if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"level":"WARN"`) {
					t.Log(l)
				}
			}
		}
	})
	return s
}

// user signs up a verified user.
func user(t testing.TB, s *apptest.Server) (string, string) {
	t.Helper()
	return authtest.NewUser(t, s)
}

func newConversation(t testing.TB, s *apptest.Server, token string) string {
	t.Helper()
	res := s.Do("POST", "/api/v1/conversations", token, map[string]any{})
	if res.Status != http.StatusCreated {
		t.Fatalf("create conversation: %d %s", res.Status, res.Body)
	}
	var c chat.Conversation
	res.JSON(t, &c)
	return c.ID
}

// sseEvent is one event read from a stream.
type sseEvent struct {
	ID   string
	Name string
	Data json.RawMessage
}

func (e sseEvent) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(e.Data, v); err != nil {
		t.Fatalf("event %s: %v: %s", e.Name, err, e.Data)
	}
}

// stream is an open SSE response.
type stream struct {
	t      testing.TB
	res    *http.Response
	sc     *bufio.Scanner
	events []sseEvent
	// comments counts comment lines (keep-alives).
	comments int
}

// open sends a request and, when it answers with an event stream, returns it; otherwise
// the response with its body read.
func open(t testing.TB, s *apptest.Server, method, path, token string, body any) (*stream, *apptest.Response) {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(method, s.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, err = http.NewRequest(method, s.URL+path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		defer res.Body.Close()
		var b strings.Builder
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			b.WriteString(sc.Text())
		}
		return nil, &apptest.Response{Status: res.StatusCode, Header: res.Header, Body: []byte(b.String())}
	}
	st := &stream{t: t, res: res, sc: bufio.NewScanner(res.Body)}
	st.sc.Buffer(make([]byte, 1<<20), 1<<20)
	t.Cleanup(func() { res.Body.Close() })
	return st, nil
}

// next reads the next event; false at the end of the stream.
func (st *stream) next() (sseEvent, bool) {
	var ev sseEvent
	for st.sc.Scan() {
		line := st.sc.Text()
		switch {
		case line == "":
			if ev.Name != "" {
				st.events = append(st.events, ev)
				return ev, true
			}
		case strings.HasPrefix(line, ":"):
			st.comments++
		case strings.HasPrefix(line, "id: "):
			ev.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data = json.RawMessage(strings.TrimPrefix(line, "data: "))
		}
	}
	return ev, false
}

// until reads events up to and including the first named one.
func (st *stream) until(name string) sseEvent {
	st.t.Helper()
	for {
		ev, ok := st.next()
		if !ok {
			st.t.Fatalf("stream ended before %s; got %v", name, st.names())
		}
		if ev.Name == name {
			return ev
		}
	}
}

// rest reads the stream to its end.
func (st *stream) rest() []sseEvent {
	for {
		if _, ok := st.next(); !ok {
			return st.events
		}
	}
}

func (st *stream) close() { st.res.Body.Close() }

func (st *stream) names() []string {
	var out []string
	for _, e := range st.events {
		out = append(out, e.Name)
	}
	return out
}

// text joins the deltas read so far.
func (st *stream) text() string {
	var b strings.Builder
	for _, e := range st.events {
		if e.Name == "delta" {
			var d struct{ Text string }
			e.decode(st.t, &d)
			b.WriteString(d.Text)
		}
	}
	return b.String()
}

// end returns the message_end payload.
func (st *stream) end() (status string) {
	for _, e := range st.events {
		if e.Name == "message_end" {
			var d struct{ Status string }
			e.decode(st.t, &d)
			return d.Status
		}
	}
	st.t.Fatalf("no message_end in %v", st.names())
	return ""
}

// send posts a message and reads its whole reply stream.
func send(t testing.TB, s *apptest.Server, token, convID, content string) *stream {
	t.Helper()
	st, res := open(t, s, "POST", "/api/v1/conversations/"+convID+"/messages", token, map[string]string{"content": content})
	if res != nil {
		t.Fatalf("send: %d %s", res.Status, res.Body)
	}
	st.rest()
	return st
}

// messages lists a conversation's messages.
func messages(t testing.TB, s *apptest.Server, token, convID string) []chat.Message {
	t.Helper()
	res := s.Do("GET", "/api/v1/conversations/"+convID+"/messages", token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("messages: %d %s", res.Status, res.Body)
	}
	var page struct{ Messages []chat.Message }
	res.JSON(t, &page)
	return page.Messages
}

// message reads one message.
func message(t testing.TB, s *apptest.Server, token, id string) chat.Message {
	t.Helper()
	res := s.Do("GET", "/api/v1/messages/"+id, token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("message: %d %s", res.Status, res.Body)
	}
	var m chat.Message
	res.JSON(t, &m)
	return m
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// slowReply is a long reply streamed in real time, so a test can act while it streams.
func slowReply(words int) llmtest.Reply {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("word")
	}
	return llmtest.Reply{Text: b.String(), ChunkDelay: 5 * time.Millisecond}
}

func startID(t testing.TB, st *stream) string {
	t.Helper()
	var d struct {
		MessageID string `json:"message_id"`
	}
	st.until("message_start").decode(t, &d)
	return d.MessageID
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func urlQuery(s string) string { return url.QueryEscape(s) }

// startIDOf returns the reply id of a stream read to its end.
func startIDOf(t testing.TB, st *stream) string {
	t.Helper()
	for _, e := range st.events {
		if e.Name == "message_start" {
			var d struct {
				MessageID string `json:"message_id"`
			}
			e.decode(t, &d)
			return d.MessageID
		}
	}
	t.Fatal("no message_start")
	return ""
}

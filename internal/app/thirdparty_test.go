package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// outgoing is one request Ally sent to a third party.
type outgoing struct {
	party string
	raw   string // headers (but Host) and body
}

// resendRecorder speaks Resend's POST /emails and records every request.
type resendRecorder struct {
	mu   sync.Mutex
	reqs []outgoing
	text []string
}

func (f *resendRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var m struct{ Text string }
	_ = json.Unmarshal(body, &m)
	f.mu.Lock()
	f.reqs = append(f.reqs, outgoing{"resend", headerText(r.Header) + string(body)})
	f.text = append(f.text, m.Text)
	n := len(f.reqs)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"id":"re_` + strings.Repeat("0", n) + `"}`))
}

func (f *resendRecorder) mails() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.text...)
}

func headerText(h http.Header) string {
	var b bytes.Buffer
	_ = h.Write(&b)
	return b.String()
}

// TestThirdPartiesReceiveOnlyWhatThePolicySays runs a user's whole journey (sign-up,
// verification, chat on Claude and on both fallbacks, memory, a task emailed, a password
// reset) through the model fakes and a Resend fake, records every request Ally sent them,
// and checks each against the policy's column: model providers get chat messages and
// context, Resend gets the email address and the message; nobody gets a password, its
// hash, a session token, the user's IP address or another user's data, and no model
// provider gets an email address. Then the user's Settings > Privacy and export list the
// third parties that processed their data.
func TestThirdPartiesReceiveOnlyWhatThePolicySays(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		models := llmtest.Start(t)
		resend := &resendRecorder{}
		rs := httptest.NewServer(resend)
		defer rs.Close()
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": models.URL,
			"OPENAI_API_KEY": "sk-openai-test", "OPENAI_BASE_URL": models.URL + "/v1",
			"GEMINI_API_KEY": "gemini-test", "GOOGLE_GEMINI_BASE_URL": models.URL, "ALLY_GEMINI_PAID_TIER": "true",
			"ALLY_LLM_MAX_RETRIES": "0", "ALLY_LLM_BREAKER_THRESHOLD": "100",
			"ALLY_MAILER": "resend", "ALLY_RESEND_API_KEY": "re_test", "ALLY_RESEND_BASE_URL": rs.URL,
			"ALLY_MAIL_FROM":       "Ally <ally@ally.example>",
			"ALLY_PLANS":           `[{"id":"free","name":"Free","limits":{}}]`,
			"ALLY_TRUSTED_PROXIES": "127.0.0.1",
		}})
		// The user reaches Ally through a proxy that names their address.
		const clientIP = "198.51.100.73"
		s.Header = http.Header{"X-Forwarded-For": {clientIP}}

		// Another user, whose words must never travel with this user's requests.
		otherMarker := randomWord()
		otherID, otherToken := authtest.NewUser(t, s, authtest.Email("other-"+otherMarker+"@example.com"))
		otherConv := createConversation(t, s, otherToken)
		chatTurn(t, s, otherToken, otherConv, "My private note is "+otherMarker)

		marker := randomWord()
		email := "journey-" + marker + "@example.com"
		password := "correct horse " + marker
		if res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": "Journey", "email": email,
			"password": password, "age_confirmed": true}); res.Status >= 300 {
			t.Fatalf("signup: %d %s", res.Status, res.Body)
		}
		verifyToken := linkToken(t, waitMail(t, resend, "verify-email"))
		if res := s.Do("POST", "/api/v1/auth/verify-email", "", map[string]any{"token": verifyToken}); res.Status != 200 {
			t.Fatalf("verify: %d %s", res.Status, res.Body)
		}
		var login struct{ Token string }
		res := s.Do("POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
		if res.Status != 200 {
			t.Fatalf("login: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &login)
		token := login.Token
		var me struct{ ID string }
		s.Do("GET", "/api/v1/me", token, nil).JSON(t, &me)

		s.Do("PUT", "/api/v1/me/preferences", token, map[string]any{"assistant_name": "Juno", "tone": "warm " + marker})
		if res := s.Do("PUT", "/api/v1/memory/notes/tea.md", token, map[string]any{"content": "Likes tea. " + marker}); res.Status != 201 {
			t.Fatalf("memory: %d %s", res.Status, res.Body)
		}
		conv := createConversation(t, s, token)
		chatTurn(t, s, token, conv, "Please remember that my plan is "+marker) // Claude, memory tool
		models.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
		chatTurn(t, s, token, conv, "Second question about "+marker) // OpenAI
		models.Script(llmtest.Anthropic, llmtest.Reply{Status: 529})
		models.Script(llmtest.OpenAI, llmtest.Reply{Status: 529})
		chatTurn(t, s, token, conv, "Third question about "+marker) // Gemini

		var task struct{ ID string }
		res = s.Do("POST", "/api/v1/tasks", token, map[string]any{"title": "Brief " + marker, "instruction": "Summarise " + marker,
			"schedule": map[string]any{"kind": "daily", "time": "08:00"}, "channels": []string{"in_app", "email"}})
		if res.Status != 201 {
			t.Fatalf("task: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &task)
		if res := s.Do("POST", "/api/v1/tasks/"+task.ID+"/run", token, nil); res.Status != 202 {
			t.Fatalf("run now: %d %s", res.Status, res.Body)
		}
		waitMail(t, resend, "Brief "+marker)
		s.Do("POST", "/api/v1/auth/password-reset", "", map[string]any{"email": email})
		waitMail(t, resend, "/reset-password?token=")

		// What must never leave Ally, and what must not reach model providers.
		var hash string
		if err := s.DB.R.QueryRowContext(context.Background(), `SELECT password_hash FROM users WHERE id = $1`, me.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		never := map[string]string{"password": password, "password hash": hash, "session token": token,
			"the other user's session token": otherToken, "client IP": clientIP, "the other user's words": otherMarker,
			"the other user's id": otherID, "the JWT signing secret": "test-secret-test-secret"}
		notToModels := map[string]string{"email address": email, "the user id": me.ID}

		var sent []outgoing
		for _, p := range []llmtest.Provider{llmtest.Anthropic, llmtest.OpenAI, llmtest.Gemini} {
			n := 0
			for _, r := range models.Requests(p) {
				raw := headerText(r.Header) + string(r.Body)
				if strings.Contains(raw, otherMarker) {
					continue // the other user's own turn
				}
				sent = append(sent, outgoing{string(p), raw})
				n++
			}
			if n == 0 {
				t.Fatalf("%s received none of the user's requests: the journey did not reach it", p)
			}
		}
		resend.mu.Lock()
		sent = append(sent, resend.reqs...)
		resend.mu.Unlock()
		sawMarker := map[string]bool{}
		for _, o := range sent {
			sawMarker[o.party] = sawMarker[o.party] || strings.Contains(o.raw, marker)
			for what, v := range never {
				if strings.Contains(o.raw, v) {
					t.Errorf("%s received %s", o.party, what)
				}
			}
			if o.party != "resend" {
				for what, v := range notToModels {
					if strings.Contains(o.raw, v) {
						t.Errorf("%s received %s", o.party, what)
					}
				}
			}
		}
		// The check above reads the right traffic: the user's words did go out.
		for _, p := range []string{"anthropic", "openai", "gemini", "resend"} {
			if !sawMarker[p] {
				t.Errorf("%s never received the user's content: the recorder missed it", p)
			}
		}

		// Settings > Privacy and the export list who processed the data.
		var data struct {
			ThirdParties []struct {
				Name, Receives string
				FirstAt        time.Time `json:"first_at"`
			} `json:"third_parties"`
		}
		s.Do("GET", "/api/v1/me/data", token, nil).JSON(t, &data)
		var names []string
		for _, tp := range data.ThirdParties {
			names = append(names, tp.Name)
			if tp.Receives == "" || tp.FirstAt.IsZero() {
				t.Errorf("third party %+v lacks what it received or when", tp)
			}
		}
		sort.Strings(names)
		want := "Anthropic, Google (Gemini), Model server at " + strings.TrimPrefix(models.URL, "http://") + ", Resend"
		if got := strings.Join(names, ", "); got != want {
			t.Errorf("third parties %q, want %q", got, want)
		}
		var export struct {
			ThirdParties []struct{ Name string } `json:"third_parties"`
		}
		s.Do("GET", "/api/v1/me/export", token, nil).JSON(t, &export)
		if len(export.ThirdParties) != len(data.ThirdParties) {
			t.Errorf("export lists %d third parties, Settings %d", len(export.ThirdParties), len(data.ThirdParties))
		}
		// The other user's list is theirs alone: only the model that answered them.
		var other struct {
			ThirdParties []struct{ Name string } `json:"third_parties"`
		}
		s.Do("GET", "/api/v1/me/data", otherToken, nil).JSON(t, &other)
		if len(other.ThirdParties) != 1 || other.ThirdParties[0].Name != "Anthropic" {
			t.Errorf("the other user's third parties: %+v", other.ThirdParties)
		}
	})
}

func createConversation(t *testing.T, s *apptest.Server, token string) string {
	t.Helper()
	var c struct{ ID string }
	res := s.Do("POST", "/api/v1/conversations", token, map[string]any{})
	if res.Status != 201 {
		t.Fatalf("conversation: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &c)
	return c.ID
}

// chatTurn sends a message and reads the streamed reply to its end.
func chatTurn(t *testing.T, s *apptest.Server, token, conv, content string) {
	t.Helper()
	res := s.Do("POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]any{"content": content})
	if res.Status != 200 || !strings.Contains(string(res.Body), `"status":"complete"`) {
		t.Fatalf("turn %q: %d %s", content, res.Status, res.Body)
	}
}

// waitMail waits until Resend received a message whose text holds what.
func waitMail(t *testing.T, r *resendRecorder, what string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range r.mails() {
			if strings.Contains(m, what) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no email with %q reached Resend", what)
	return ""
}

var tokenParam = regexp.MustCompile(`token=([A-Za-z0-9_\-]+)`)

func linkToken(t *testing.T, text string) string {
	t.Helper()
	m := tokenParam.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no token link in %q", text)
	}
	return m[1]
}

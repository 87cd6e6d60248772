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
	"myally.app/ally/internal/billing/stripefake"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/telegram/tgtest"
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

// recording passes requests to h and records each as sent to party.
func recording(party string, h http.Handler, into *[]outgoing, mu *sync.Mutex) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		*into = append(*into, outgoing{party, r.Method + " " + r.URL.String() + "\n" + headerText(r.Header) + string(body)})
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
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
		t.Cleanup(rs.Close) // after the instance stops (cleanups run last first)
		var others []outgoing
		var othersMu sync.Mutex
		stripe := stripefake.New(map[string]int64{"price_pro": 1200})
		ss := httptest.NewServer(recording("stripe", stripe.Handler(), &others, &othersMu))
		t.Cleanup(ss.Close)
		stripe.URL = ss.URL
		bot := tgtest.New("4242:journey")
		ts := httptest.NewServer(recording("telegram", bot, &others, &othersMu))
		t.Cleanup(ts.Close) // a long poll in flight ends when the instance stops
		bot.URL = ts.URL
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": models.URL,
			"OPENAI_API_KEY": "sk-openai-test", "OPENAI_BASE_URL": models.URL + "/v1",
			"GEMINI_API_KEY": "gemini-test", "GOOGLE_GEMINI_BASE_URL": models.URL, "ALLY_GEMINI_PAID_TIER": "true",
			"ALLY_LLM_MAX_RETRIES": "0", "ALLY_LLM_BREAKER_THRESHOLD": "100",
			"ALLY_MAILER": "resend", "ALLY_RESEND_API_KEY": "re_test", "ALLY_RESEND_BASE_URL": rs.URL,
			"ALLY_MAIL_FROM": "Ally <ally@ally.example>",
			"ALLY_PLANS": `[{"id":"free","name":"Free","limits":{}},
				{"id":"pro","name":"Pro","stripe_price":"price_pro","limits":{}}]`,
			"ALLY_STRIPE_SECRET_KEY": "sk_test_journey", "ALLY_STRIPE_WEBHOOK_SECRET": "whsec_journey",
			"ALLY_STRIPE_API_URL":     ss.URL,
			"ALLY_TELEGRAM_BOT_TOKEN": "4242:journey", "ALLY_TELEGRAM_API_URL": ts.URL, "ALLY_TELEGRAM_MODE": "polling",
			"ALLY_TRUSTED_PROXIES": "127.0.0.1",
		}})
		stripe.SetWebhook(s.URL+"/webhooks/stripe", "whsec_journey")
		// The user reaches Ally through a proxy that names their address.
		const clientIP = "198.51.100.73"
		s.Header = http.Header{"X-Forwarded-For": {clientIP}}

		// Another user, whose words must never travel with this user's requests.
		otherMarker := randomWord()
		otherID, otherToken := authtest.NewUser(t, s, authtest.Email("other-"+otherMarker+"@example.com"))
		otherConv := createConversation(t, s, otherToken)
		chatTurn(t, s, otherToken, otherConv, "My private note is "+otherMarker)

		marker := randomWord()
		// The address is not made from the marker: Stripe may receive the one, never the other.
		email := "journey-" + randomWord() + "@example.com"
		password := "correct horse " + marker
		const name = "Juniper Quokka"
		if res := s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": name, "email": email,
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
		// Telegram: linked with the deep link, then a message there and its streamed reply.
		for deadline := time.Now().Add(15 * time.Second); ; {
			var st struct{ Bot string }
			s.Do("GET", "/api/v1/telegram", token, nil).JSON(t, &st)
			if st.Bot != "" { // the instance has met its bot (getMe)
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the instance never reached its bot")
			}
			time.Sleep(20 * time.Millisecond)
		}
		res = s.Do("POST", "/api/v1/telegram/link", token, nil)
		var link struct{ URL string }
		res.JSON(t, &link)
		_, startToken, ok := strings.Cut(link.URL, "?start=")
		if res.Status != 200 || !ok {
			t.Fatalf("telegram link: %d %s", res.Status, res.Body)
		}
		chat := tgtest.Private(777001)
		bot.Push(bot.TextUpdate(chat, "/start "+startToken))
		waitTelegram(t, bot, chat.ID, "Linked")
		tgMarker := randomWord()
		bot.Push(bot.TextUpdate(chat, "From Telegram: "+tgMarker))
		waitTelegram(t, bot, chat.ID, tgMarker)

		// An upgrade through Stripe Checkout: the hosted page is paid, Stripe's webhook
		// reaches Ally, which reads the subscription back.
		res = s.Do("POST", "/api/v1/billing/checkout", token, map[string]string{"plan": "pro"})
		if res.Status != 200 {
			t.Fatalf("checkout: %d %s", res.Status, res.Body)
		}
		var checkout struct{ URL string }
		res.JSON(t, &checkout)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		pay, err := noRedirect.Post(checkout.URL, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		pay.Body.Close()
		for deadline := time.Now().Add(15 * time.Second); ; {
			var st struct{ Plan string }
			s.Do("GET", "/api/v1/billing", token, nil).JSON(t, &st)
			if st.Plan == "pro" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the plan is %q after paying", st.Plan)
			}
			time.Sleep(20 * time.Millisecond)
		}

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
		// Stripe receives the email address and subscription data, nothing the user wrote.
		notToStripe := map[string]string{"the user's name": name, "what the user wrote": marker}

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
		othersMu.Lock()
		sent = append(sent, others...)
		othersMu.Unlock()
		sawMarker := map[string]bool{}
		for _, o := range sent {
			sawMarker[o.party] = sawMarker[o.party] || strings.Contains(o.raw, marker)
			for what, v := range never {
				if strings.Contains(o.raw, v) {
					t.Errorf("%s received %s", o.party, what)
				}
			}
			if o.party == "stripe" {
				for what, v := range notToStripe {
					if strings.Contains(o.raw, v) {
						t.Errorf("stripe received %s", what)
					}
				}
			} else if o.party != "resend" {
				for what, v := range notToModels {
					if strings.Contains(o.raw, v) {
						t.Errorf("%s received %s", o.party, what)
					}
				}
			}
		}
		// The check above reads the right traffic: the user's words did go out.
		for _, o := range sent {
			sawMarker["telegram"] = sawMarker["telegram"] || o.party == "telegram" && strings.Contains(o.raw, tgMarker)
		}
		for _, p := range []string{"anthropic", "openai", "gemini", "resend", "telegram"} {
			if !sawMarker[p] {
				t.Errorf("%s never received the user's content: the recorder missed it", p)
			}
		}
		sawEmail := false
		for _, o := range sent {
			sawEmail = sawEmail || o.party == "stripe" && strings.Contains(o.raw, strings.ReplaceAll(email, "@", "%40"))
		}
		if !sawEmail {
			t.Errorf("stripe never received the customer's email: the recorder missed it")
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
		want := "Anthropic, Google (Gemini), Model server at " + strings.TrimPrefix(models.URL, "http://") + ", Resend, Stripe, Telegram"
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

// waitTelegram waits until the bot sent chat a message holding text.
func waitTelegram(t *testing.T, bot *tgtest.Server, chatID int64, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range bot.Sent(chatID) {
			if strings.Contains(m.Text, text) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the bot never sent %q to the chat", text)
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

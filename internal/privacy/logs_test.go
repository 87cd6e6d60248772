package privacy_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// canaries are unique strings put in every field a user or a model supplies.
type canaries map[string]string

func (c canaries) add(name string) string {
	v := "canary" + strings.ReplaceAll(name, "_", "") + "x" + time.Now().Format("150405.000000")[7:]
	c[name] = v
	return v
}

var tokenInLink = regexp.MustCompile(`token=([A-Za-z0-9_\-\.%]+)`)

// linkToken returns the token in the newest email of kind to the address.
func linkToken(t *testing.T, s *apptest.Server, kind, to string) string {
	t.Helper()
	var body string
	// Some links are sent by a job a moment after the request (password reset).
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := s.DB.R.QueryRowContext(context.Background(), `SELECT text_body FROM mail_outbox WHERE kind = $1 AND to_addr = $2 ORDER BY created_at DESC LIMIT 1`, kind, to).Scan(&body)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) || time.Now().After(deadline) {
			t.Fatalf("no %s email to %s: %v", kind, to, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	m := tokenInLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token in the %s email", kind)
	}
	return m[1]
}

func must(t *testing.T, res *apptest.Response, status int, what string) *apptest.Response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: %d %s, want %d", what, res.Status, res.Body, status)
	}
	return res
}

// TestLogsHoldNoUserContent (PRIV-5) drives an account through sign-up, verification,
// sign-in, password reset, settings, a chat turn in which the assistant writes memory, a
// memory edit, feedback, an export, deletion and recovery, with a canary string in every
// field the user supplies and in the model's reply, and fails if any canary, password,
// token or email body reaches the logs.
func TestLogsHoldNoUserContent(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ANTHROPIC_API_KEY":        "test-key",
			"ANTHROPIC_BASE_URL":       fake.URL,
			"ALLY_CHAT_FLUSH_INTERVAL": "20ms",
		}})
		c := canaries{}
		email := c.add("email_local") + "@example.com"
		password := c.add("password") + "-Pw1"
		name := c.add("name")
		must(t, s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": name, "email": email, "password": password, "age_confirmed": true}), http.StatusAccepted, "signup")
		secrets := []string{}
		verify := linkToken(t, s, "verify_email", email)
		secrets = append(secrets, verify)
		must(t, s.Do("POST", "/api/v1/auth/verify-email", "", map[string]string{"token": verify}), http.StatusOK, "verify")

		// A failed sign-in, then a good one.
		s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": c.add("wrong_password")})
		var login struct{ Token string }
		must(t, s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}), http.StatusOK, "login").JSON(t, &login)
		secrets = append(secrets, login.Token)

		// Password reset.
		s.Do("POST", "/api/v1/auth/password-reset", "", map[string]string{"email": email})
		reset := linkToken(t, s, "password_reset", email)
		secrets = append(secrets, reset)
		password = c.add("new_password") + "-Pw2"
		var afterReset struct{ Token string }
		must(t, s.Do("POST", "/api/v1/auth/password-reset/confirm", "", map[string]string{"token": reset, "password": password}), http.StatusOK, "reset").JSON(t, &afterReset)
		tok := afterReset.Token
		if tok == "" {
			must(t, s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}), http.StatusOK, "login after reset").JSON(t, &afterReset)
			tok = afterReset.Token
		}
		secrets = append(secrets, tok)

		// Settings.
		s.Do("PATCH", "/api/v1/me", tok, map[string]any{"name": c.add("new_name")})
		s.Do("PUT", "/api/v1/me/preferences", tok, map[string]any{"assistant_name": c.add("assistant_name"), "tone": c.add("tone"), "language": c.add("language")})

		// A chat turn where the assistant writes memory, and one whose reply echoes the user.
		var conv struct{ ID string }
		must(t, s.Do("POST", "/api/v1/conversations", tok, map[string]any{"title": c.add("title")}), http.StatusCreated, "conversation").JSON(t, &conv)
		stream := must(t, s.Do("POST", "/api/v1/conversations/"+conv.ID+"/messages", tok, map[string]string{"content": "Please remember that " + c.add("memory_fact")}), http.StatusOK, "send")
		fake.Script(llmtest.Anthropic, llmtest.Reply{Text: "Here is a private reply " + c.add("model_reply")})
		must(t, s.Do("POST", "/api/v1/conversations/"+conv.ID+"/messages", tok, map[string]string{"content": "Tell me something " + c.add("message")}), http.StatusOK, "send")
		s.Do("PATCH", "/api/v1/conversations/"+conv.ID, tok, map[string]any{"title": c.add("renamed_title")})
		if !strings.Contains(string(stream.Body), "memory") {
			t.Fatalf("the first turn did not call the memory tool: %s", stream.Body)
		}
		var msgs struct {
			Messages []struct{ ID, Role, Content string }
		}
		must(t, s.Do("GET", "/api/v1/conversations/"+conv.ID+"/messages", tok, nil), http.StatusOK, "messages").JSON(t, &msgs)
		var replyID string
		for _, m := range msgs.Messages {
			if m.Role == "assistant" {
				replyID = m.ID
			}
		}
		s.Do("PUT", "/api/v1/messages/"+replyID+"/feedback", tok, map[string]string{"rating": "down", "reason": c.add("feedback_reason")})

		// Memory edited by the user.
		s.Do("PUT", "/api/v1/memory/"+c.add("memory_path")+".md", tok, map[string]string{"content": c.add("memory_content")})

		// Export, then delete and recover.
		export := must(t, s.Do("GET", "/api/v1/me/export", tok, nil), http.StatusOK, "export")
		for _, k := range []string{"memory_fact", "model_reply", "feedback_reason", "memory_content", "assistant_name"} {
			if !strings.Contains(string(export.Body), c[k]) {
				t.Errorf("the export lacks the %s", k)
			}
		}
		var doc map[string]json.RawMessage
		export.JSON(t, &doc)
		if !strings.Contains(string(doc["memory_files"]), c["memory_fact"]) {
			t.Fatalf("the assistant did not write the fact to memory: %s", doc["memory_files"])
		}
		must(t, s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": password}), http.StatusOK, "delete")
		var rec struct{ Token string }
		must(t, s.Do("POST", "/api/v1/me/recover", "", map[string]string{"email": email, "password": password}), http.StatusOK, "recover").JSON(t, &rec)
		secrets = append(secrets, rec.Token)

		// Email bodies: a distinctive sentence of each email sent.
		rows, err := s.DB.R.Query(`SELECT text_body FROM mail_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var body string
			_ = rows.Scan(&body)
			for _, line := range strings.Split(body, "\n") {
				if len(strings.TrimSpace(line)) > 40 {
					secrets = append(secrets, strings.TrimSpace(line))
				}
			}
		}
		rows.Close()

		logs := s.Logs.String()
		if len(logs) == 0 {
			t.Fatal("no log lines captured")
		}
		lines := strings.Split(logs, "\n")
		for k, v := range c {
			for _, l := range lines {
				if strings.Contains(l, v) {
					t.Errorf("the %s appears in the logs: %s", k, l)
					break
				}
			}
		}
		for _, v := range secrets {
			if v == "" {
				continue
			}
			enc, _ := json.Marshal(v) // as a JSON log would write it
			for _, l := range lines {
				if strings.Contains(l, v) || strings.Contains(l, strings.Trim(string(enc), `"`)) {
					t.Errorf("a token or email body appears in the logs: %s", l)
					break
				}
			}
		}
	})
}

package tgtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Chat is a Telegram chat in an update.
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	Title     string `json:"title,omitempty"`
}

// Private is the private chat of user id (chat id = user id, as in Telegram).
func Private(id int64) Chat {
	return Chat{ID: id, Type: "private", Username: fmt.Sprintf("user%d", id), FirstName: "Test"}
}

// Group is a group chat (negative ids, as in Telegram).
func Group(id int64) Chat { return Chat{ID: -id, Type: "group", Title: "A group"} }

// TextUpdate builds an update with a text message in chat.
func (s *Server) TextUpdate(chat Chat, text string) map[string]any {
	return s.Update("message", chat, map[string]any{"text": text})
}

// Update builds an update of kind (message, edited_message, …) in chat with the message's
// extra fields (text, sticker, photo, …); update_id and message_id are allocated.
func (s *Server) Update(kind string, chat Chat, fields map[string]any) map[string]any {
	s.mu.Lock()
	s.nextUpdate++
	id := s.nextUpdate
	s.mu.Unlock()
	from := map[string]any{"id": chat.ID, "is_bot": false, "first_name": "Test", "username": chat.Username}
	if chat.ID < 0 {
		from["id"] = 4242
	}
	msg := map[string]any{"message_id": id, "date": s.Now().Unix(), "chat": chat, "from": from}
	for k, v := range fields {
		msg[k] = v
	}
	return map[string]any{"update_id": id, kind: msg}
}

// Push queues an update for getUpdates.
func (s *Server) Push(u map[string]any) {
	raw, _ := json.Marshal(u)
	id, _ := u["update_id"].(int64)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending, s.pendingIDs = append(s.pending, raw), append(s.pendingIDs, id)
	close(s.wake)
	s.wake = make(chan struct{})
}

// Pending is how many updates getUpdates has not had confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Deliver posts an update (a value or raw JSON bytes) to the webhook with its secret, as
// Telegram does, and returns the status and how long the answer took.
func (s *Server) Deliver(client *http.Client, u any) (int, time.Duration, error) {
	raw, ok := u.([]byte)
	if !ok {
		raw, _ = json.Marshal(u)
	}
	hook, secret := s.Webhook()
	if hook == "" {
		return 0, 0, fmt.Errorf("tgtest: no webhook set")
	}
	req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(raw))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	res.Body.Close()
	return res.StatusCode, time.Since(start), nil
}

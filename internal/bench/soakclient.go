package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// soakReply is what one user saw of one reply, checked against the database at the end.
type soakReply struct {
	Content     string // the user message sent
	UserMsgID   string
	ReplyID     string
	Seen        string // the longest reply text one stream delivered
	Status      string // from message_end; "" if no stream reached the end
	Action      string
	Reattached  int
	StopRequest bool
}

// soakStream is one read of a reply's event stream.
type soakStream struct {
	replyID, userMsgID string
	text               string
	status             string
	err                error
}

// readStream reads reply events until message_end or the stream breaks; onDelta, if set,
// is called after each delta and may return false to hang up.
func readStream(body io.Reader, onDelta func(s *soakStream) bool) soakStream {
	var s soakStream
	var event string
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "data: "):
			data := []byte(line[6:])
			switch event {
			case "message_start":
				var v struct {
					MessageID     string `json:"message_id"`
					UserMessageID string `json:"user_message_id"`
				}
				_ = json.Unmarshal(data, &v)
				s.replyID, s.userMsgID = v.MessageID, v.UserMessageID
			case "delta":
				var v struct {
					Text string `json:"text"`
				}
				_ = json.Unmarshal(data, &v)
				s.text += v.Text
				if onDelta != nil && !onDelta(&s) {
					s.err = errHungUp
					return s
				}
			case "message_end":
				var v struct {
					Status string `json:"status"`
				}
				_ = json.Unmarshal(data, &v)
				s.status = v.Status
				return s
			}
		}
	}
	s.err = sc.Err()
	if s.err == nil {
		s.err = io.ErrUnexpectedEOF
	}
	return s
}

var errHungUp = fmt.Errorf("client hung up")

// post sends a message; code is the HTTP status (0: no response at all).
func (u *user) post(ctx context.Context, content string, onDelta func(s *soakStream) bool) (code int, body string, s soakStream) {
	b, _ := json.Marshal(map[string]any{"content": content})
	req, _ := http.NewRequestWithContext(ctx, "POST", u.base+"/api/v1/conversations/"+u.conv+"/messages", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+u.token)
	res, err := u.http.Do(req)
	if err != nil {
		return 0, err.Error(), soakStream{err: err}
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		rb, _ := io.ReadAll(res.Body)
		return res.StatusCode, strings.TrimSpace(string(rb)), soakStream{}
	}
	return 200, "", readStream(res.Body, onDelta)
}

// reattach follows the conversation's reply in progress: done is true when there is none
// (204) or the stream reached message_end.
func (u *user) reattach(ctx context.Context) (s soakStream, done bool) {
	req, _ := http.NewRequestWithContext(ctx, "GET", u.base+"/api/v1/conversations/"+u.conv+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+u.token)
	res, err := u.http.Do(req)
	if err != nil {
		return soakStream{err: err}, false
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusNoContent:
		return soakStream{}, true
	case http.StatusOK:
		s := readStream(res.Body, nil)
		return s, s.err == nil
	default:
		_, _ = io.Copy(io.Discard, res.Body)
		return soakStream{err: fmt.Errorf("stream: %d", res.StatusCode)}, false
	}
}

// stop asks the server to stop a reply.
func (u *user) stop(ctx context.Context, replyID string) error {
	return u.do(ctx, "POST", "/api/v1/messages/"+replyID+"/stop", nil, nil)
}

// soakOutcome tallies one user's turns.
type soakOutcome struct {
	Replies   []*soakReply
	Refused   []string // contents refused before storing (409, 429): must not be stored
	Unknown   []string // contents whose send got no answer: stored at most once
	Quota     int
	Conflicts int
	Transport int
}

// soakUser chats until the deadline: plain messages, memory prompts ("remember that…",
// which run the fake's memory tool loop), stops after the first text, and hang-ups
// followed by a re-attach; any stream cut by a fault or the kill is re-attached until it
// ends.
func soakUser(ctx context.Context, u *user, idx int, until time.Time, rng *rand.Rand) *soakOutcome {
	out := &soakOutcome{}
	for turn := 0; time.Now().Before(until) && ctx.Err() == nil; turn++ {
		nonce := fmt.Sprintf("u%d-t%d-%04x", idx, turn, rng.IntN(1<<16))
		r := &soakReply{}
		content := "Soak message " + nonce + ": tell me something."
		switch p := rng.IntN(100); {
		case p < 20:
			r.Action = "remember"
			content = "Please remember that " + nonce + " likes tea."
		case p < 35:
			r.Action = "stop"
		case p < 45:
			r.Action = "reattach"
		default:
			r.Action = "plain"
		}
		r.Content = content
		onDelta := func(s *soakStream) bool {
			switch r.Action {
			case "stop":
				if !r.StopRequest && s.replyID != "" {
					r.StopRequest = true
					_ = u.stop(ctx, s.replyID)
				}
			case "reattach":
				return false
			}
			return true
		}
		code, _, s := u.post(ctx, content, onDelta)
		switch {
		case code == http.StatusConflict:
			out.Conflicts++
			out.Refused = append(out.Refused, content)
			pause(ctx, 500*time.Millisecond)
			continue
		case code == http.StatusTooManyRequests:
			out.Quota++
			out.Refused = append(out.Refused, content)
			pause(ctx, 2*time.Second)
			continue
		case code != 200:
			out.Transport++
			out.Unknown = append(out.Unknown, content)
			pause(ctx, 300*time.Millisecond)
			continue
		}
		r.ReplyID, r.UserMsgID = s.replyID, s.userMsgID
		if r.ReplyID == "" {
			// The stream broke before message_start: the message may or may not be stored.
			out.Unknown = append(out.Unknown, content)
			u.settle(ctx)
			continue
		}
		r.absorb(s)
		for s.err != nil && ctx.Err() == nil {
			pause(ctx, 200*time.Millisecond)
			var done bool
			s, done = u.reattach(ctx)
			r.Reattached++
			r.absorb(s)
			if done {
				break
			}
		}
		out.Replies = append(out.Replies, r)
		pause(ctx, time.Duration(100+rng.IntN(400))*time.Millisecond)
	}
	return out
}

func (r *soakReply) absorb(s soakStream) {
	if len(s.text) > len(r.Seen) {
		r.Seen = s.text
	}
	if s.status != "" {
		r.Status = s.status
	}
}

// settle re-attaches until no reply is in progress in the user's conversation.
func (u *user) settle(ctx context.Context) {
	for ctx.Err() == nil {
		if _, done := u.reattach(ctx); done {
			return
		}
		pause(ctx, 200*time.Millisecond)
	}
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

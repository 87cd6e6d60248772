package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// SSE writes a text/event-stream response. It lifts the server's write timeout for this
// response only (streams may last minutes) and asks proxies not to buffer.
type SSE struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// NewSSE starts an event stream on w with status 200.
func NewSSE(w http.ResponseWriter) *SSE {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	return &SSE{w: w, rc: rc}
}

// Event writes one event with a JSON payload and flushes it. id may be empty.
func (s *SSE) Event(id, event string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("sse: encode %s: %w", event, err)
	}
	if id != "" {
		if _, err := fmt.Fprintf(s.w, "id: %s\n", id); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Comment writes a keep-alive comment line.
func (s *SSE) Comment(text string) error {
	if _, err := fmt.Fprintf(s.w, ": %s\n\n", text); err != nil {
		return err
	}
	return s.rc.Flush()
}

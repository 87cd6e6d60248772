package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"myally.app/ally/internal/httpx"
)

// defaultWriteTimeout is how long one batch of events may take to reach a client before
// the stream is dropped as too slow (the client can re-attach).
const defaultWriteTimeout = 20 * time.Second

// sseStream writes reply events to one client, batching whatever is pending into one
// write and one flush.
type sseStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     bytes.Buffer
}

func (s *Service) openStream(w http.ResponseWriter) *sseStream {
	httpx.NewSSE(w) // headers, status, no write timeout
	return &sseStream{w: w, rc: http.NewResponseController(w), timeout: s.writeTimeout}
}

func (s *sseStream) add(ev event) {
	if ev.seq > 0 {
		s.buf.WriteString("id: ")
		s.buf.WriteString(strconv.Itoa(ev.seq))
		s.buf.WriteByte('\n')
	}
	s.buf.WriteString("event: ")
	s.buf.WriteString(ev.name)
	s.buf.WriteString("\ndata: ")
	s.buf.Write(ev.data)
	s.buf.WriteString("\n\n")
}

func (s *sseStream) comment(text string) {
	s.buf.WriteString(": ")
	s.buf.WriteString(text)
	s.buf.WriteString("\n\n")
}

// flush sends what is pending within the write timeout.
func (s *sseStream) flush() error {
	if s.buf.Len() == 0 {
		return nil
	}
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	_, err := s.w.Write(s.buf.Bytes())
	s.buf.Reset()
	if err == nil {
		err = s.rc.Flush()
	}
	return err
}

// follow streams a local run's events after seq after until the run ends or the client
// goes away. Leaving does not affect the run.
func (s *Service) follow(ctx context.Context, w http.ResponseWriter, r *run, after int) {
	out := s.openStream(w)
	keepAlive := time.NewTicker(s.cfg.ChatKeepAlive)
	defer keepAlive.Stop()
	for {
		evs, wake, finished := r.since(after)
		if len(evs) > 0 {
			for _, ev := range mergeDeltas(evs) {
				out.add(ev)
			}
			if out.flush() != nil {
				return
			}
			after = evs[len(evs)-1].seq
			continue
		}
		if finished {
			return
		}
		select {
		case <-wake:
		case <-keepAlive.C:
			out.comment("keep-alive")
			if out.flush() != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// mergeDeltas joins consecutive deltas into one event, so a stream that replays or
// catches up sends the text at once rather than token by token.
func mergeDeltas(evs []event) []event {
	if len(evs) < 2 {
		return evs
	}
	out := make([]event, 0, len(evs))
	for i := 0; i < len(evs); i++ {
		ev := evs[i]
		if ev.name != "delta" || i+1 >= len(evs) || evs[i+1].name != "delta" {
			out = append(out, ev)
			continue
		}
		var b bytes.Buffer
		for ; i < len(evs) && evs[i].name == "delta"; i++ {
			b.WriteString(evs[i].text)
			ev.seq = evs[i].seq
		}
		i--
		ev.text = b.String()
		ev.data, _ = json.Marshal(deltaEvent{Text: ev.text})
		out = append(out, ev)
	}
	return out
}

package httpx

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStreamsOutliveTheWriteTimeout: an event stream keeps going past the server's write
// timeout (which still protects every other response).
func TestStreamsOutliveTheWriteTimeout(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		s := NewSSE(w)
		for i := range 6 {
			time.Sleep(50 * time.Millisecond)
			if err := s.Event("", "tick", i); err != nil {
				return
			}
		}
		_ = s.Event("", "done", true)
	})
	srv := NewServer(mux, context.Background(), slog.New(slog.DiscardHandler))
	srv.WriteTimeout = 100 * time.Millisecond // the stream below lasts three times longer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	res, err := http.Get("http://" + ln.Addr().String() + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var events []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if e, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			events = append(events, e)
		}
	}
	if len(events) != 7 || events[6] != "done" {
		t.Fatalf("stream was cut: got events %v", events)
	}
}

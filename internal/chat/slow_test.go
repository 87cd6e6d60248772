package chat

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/config"
)

// TestSlowFollowerIsDroppedAndNeverBlocksTheRun: a client that stops reading does not slow
// the reply down, and its stream is dropped once a write has waited too long.
func TestSlowFollowerIsDroppedAndNeverBlocksTheRun(t *testing.T) {
	s := New(Deps{Config: config.Config{ChatKeepAlive: time.Hour}})
	s.writeTimeout = 100 * time.Millisecond
	rn := newRun("r", "c", "u", func(error) {})
	dropped := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.follow(r.Context(), w, rn, 0)
		close(dropped)
	}))
	defer hs.Close()
	res, err := http.Get(hs.URL) // the client reads the headers, then nothing more
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()

	chunk := strings.Repeat("x", 64<<10)
	emitted := make(chan struct{})
	go func() {
		for range 1000 { // 64 MB: far beyond what the connection can buffer
			rn.emit("delta", deltaEvent{Text: chunk})
		}
		rn.finish()
		close(emitted)
	}()
	select {
	case <-emitted:
	case <-time.After(30 * time.Second):
		t.Fatal("the run was blocked by a follower that does not read")
	}
	select {
	case <-dropped:
	case <-time.After(30 * time.Second):
		t.Fatal("the stuck follower was not dropped")
	}
}

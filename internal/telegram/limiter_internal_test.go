package telegram

import (
	"testing"
	"time"
)

// The limiter keeps one progress update per chat per second, 30 counted calls per second
// for the bot, and holds a chat back for a retry_after.
func TestLimiter(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	t.Run("per chat", func(t *testing.T) {
		l := newLimiter()
		if d := l.wait(1, t0, true, true); d != 0 {
			t.Fatalf("first update waits %v", d)
		}
		if d := l.wait(1, t0.Add(300*time.Millisecond), true, true); d != 700*time.Millisecond {
			t.Fatalf("second update within a second: wait %v", d)
		}
		if d := l.wait(2, t0.Add(300*time.Millisecond), true, true); d != 0 {
			t.Fatalf("another chat waits %v", d)
		}
		if d := l.wait(1, t0.Add(300*time.Millisecond), false, true); d != 0 {
			t.Fatalf("the final text waits for the chat's pace: %v", d)
		}
		if d := l.wait(1, t0.Add(time.Second), true, true); d != 0 {
			t.Fatalf("a second later: wait %v", d)
		}
	})
	t.Run("per bot", func(t *testing.T) {
		l := newLimiter()
		for i := 0; i < perBotPerSecond; i++ {
			if d := l.wait(int64(i), t0.Add(time.Duration(i)*time.Millisecond), false, true); d != 0 {
				t.Fatalf("call %d waits %v", i, d)
			}
		}
		if d := l.wait(99, t0.Add(100*time.Millisecond), false, true); d != 900*time.Millisecond {
			t.Fatalf("call 31 in the second: wait %v", d)
		}
		if d := l.wait(99, t0.Add(100*time.Millisecond), false, false); d != 0 {
			t.Fatalf("an uncounted action waits %v", d)
		}
		if d := l.wait(99, t0.Add(time.Second), false, true); d != 0 {
			t.Fatalf("after the window: wait %v", d)
		}
	})
	t.Run("retry after", func(t *testing.T) {
		l := newLimiter()
		l.retryAfter(1, t0, 5*time.Second)
		if d := l.wait(1, t0.Add(time.Second), false, false); d != 4*time.Second {
			t.Fatalf("held chat: wait %v", d)
		}
		if d := l.wait(2, t0.Add(time.Second), false, true); d != 0 {
			t.Fatalf("other chat waits %v", d)
		}
		if d := l.wait(1, t0.Add(5*time.Second), false, true); d != 0 {
			t.Fatalf("after retry_after: wait %v", d)
		}
	})
}

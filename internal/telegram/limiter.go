package telegram

import (
	"sync"
	"time"
)

// Telegram's limits on a bot: about one message per second in a chat and 30 per second
// overall; past them it answers 429 with retry_after.
const (
	perChatInterval = time.Second
	perBotPerSecond = 30
)

// limiter decides when a call may go out: at most one per chat per perChatInterval and
// perBotPerSecond per bot in any second, and nothing to a chat (or the bot) before a
// retry_after it was given has passed.
type limiter struct {
	mu       sync.Mutex
	lastChat map[int64]time.Time
	holdChat map[int64]time.Time
	holdBot  time.Time
	window   []time.Time
}

func newLimiter() *limiter {
	return &limiter{lastChat: map[int64]time.Time{}, holdChat: map[int64]time.Time{}}
}

// wait returns how long to wait before a call to chatID (0: now, and the call is counted).
// chatPaced calls are a reply's progress updates, at most one per chat per
// perChatInterval; others (the final text, notices, typing) are held back only by the
// bot-wide limit and retry_after. Uncounted calls (the typing action: not a message) are
// held back only by retry_after and do not use the bot-wide allowance.
func (l *limiter) wait(chatID int64, now time.Time, chatPaced, counted bool) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	if h := l.holdChat[chatID]; now.Before(h) {
		d = h.Sub(now)
	}
	if now.Before(l.holdBot) && l.holdBot.Sub(now) > d {
		d = l.holdBot.Sub(now)
	}
	if last, ok := l.lastChat[chatID]; chatPaced && ok && now.Sub(last) < perChatInterval && perChatInterval-now.Sub(last) > d {
		d = perChatInterval - now.Sub(last)
	}
	cut := 0
	for cut < len(l.window) && now.Sub(l.window[cut]) >= time.Second {
		cut++
	}
	l.window = l.window[cut:]
	if counted && len(l.window) >= perBotPerSecond {
		if w := time.Second - now.Sub(l.window[0]); w > d {
			d = w
		}
	}
	if d > 0 {
		return d
	}
	if chatPaced {
		l.lastChat[chatID] = now
	}
	if counted {
		l.window = append(l.window, now)
	}
	return 0
}

// retryAfter holds back calls to chatID for d (a 429's retry_after).
func (l *limiter) retryAfter(chatID int64, now time.Time, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holdChat[chatID] = now.Add(d)
}

// forget drops a chat's pacing state once its reply is done.
func (l *limiter) forget(chatID int64, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.holdChat[chatID]; ok && !now.Before(h) {
		delete(l.holdChat, chatID)
	}
	if last, ok := l.lastChat[chatID]; ok && now.Sub(last) >= perChatInterval {
		delete(l.lastChat, chatID)
	}
}

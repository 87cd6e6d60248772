// Package costbench measures what a turn costs in input tokens when Ally talks to a
// model provider that applies Anthropic's prompt caching rules (llmtest.PromptCache):
// a real instance on SQLite or PostgreSQL, conversations through the HTTP API, memory
// writes by the assistant's memory tool and a task run, and for every model call the
// share of its input read from the cache, its cost against the same call uncached, and,
// when it wrote again what an earlier call had already sent, where the two parted.
package costbench_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
	"myally.app/ally/internal/usage"
)

// bench is one instance and its caching fake model, with a settable clock for the fake.
type bench struct {
	t     testing.TB
	s     *apptest.Server
	cache *llmtest.PromptCache

	mu     sync.Mutex
	now    time.Time
	writes int
}

// newBench starts an instance on tg whose fake model answers in replyWords words, with
// extra configuration env (name, value, …).
func newBench(t testing.TB, tg dbtest.Target, replyWords int, env ...string) *bench {
	b := &bench{t: t, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	b.cache = llmtest.NewPromptCache(b.clock)
	def := llmtest.DefaultResponder(llmtest.ScriptOptions{ReplyWords: replyWords})
	fake := llmtest.New(llmtest.Options{Cache: b.cache, Responder: b.responder(def)})
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	e := map[string]string{
		"ANTHROPIC_API_KEY":  "test-key",
		"ANTHROPIC_BASE_URL": hs.URL,
		"ALLY_LLM_PROVIDERS": "anthropic",
		"ALLY_PLANS":         `[{"id":"free","name":"Free","limits":{}}]`,
		"ALLY_LOG_LEVEL":     "warn",
	}
	for i := 0; i+1 < len(env); i += 2 {
		e[env[i]] = env[i+1]
	}
	b.s = apptest.Start(t, tg, apptest.Options{Env: e})
	return b
}

func (b *bench) clock() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

// at sets the fake's clock (the cache's lifetimes run on it).
func (b *bench) at(hhmm string) {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		b.t.Fatal(err)
	}
	b.mu.Lock()
	b.now = time.Date(2026, 3, 2, t.Hour(), t.Minute(), 0, 0, time.UTC)
	b.mu.Unlock()
}

func (b *bench) advance(d time.Duration) {
	b.mu.Lock()
	b.now = b.now.Add(d)
	b.mu.Unlock()
}

// responder is the default script, except that every "remember …" writes a new memory
// file, so that each memory write changes the memory index.
func (b *bench) responder(def func(*llmtest.Incoming) llmtest.Reply) func(*llmtest.Incoming) llmtest.Reply {
	return func(in *llmtest.Incoming) llmtest.Reply {
		text := strings.TrimSpace(in.LastText)
		i := strings.Index(strings.ToLower(text), "remember that ")
		if in.LastIsToolResult || !in.HasTool("memory") || i < 0 {
			return def(in)
		}
		b.mu.Lock()
		b.writes++
		n := b.writes
		b.mu.Unlock()
		fact := strings.TrimRight(text[i+len("remember that "):], ".!? ")
		input, _ := json.Marshal(map[string]string{"command": "create", "path": fmt.Sprintf("/memories/fact-%d.md", n), "file_text": fact + "\n"})
		return llmtest.Reply{Text: "I'll remember that.", ToolCalls: []llmtest.ToolCall{{Name: "memory", Input: string(input)}}}
	}
}

// call is one model call as the cache saw it, with what caused it.
type call struct {
	label string
	llmtest.CacheResult
}

func (c call) total() int64 { return c.InputTokens + c.CacheReadTokens + c.CacheCreationTokens }

// user is one person of a scenario.
type user struct {
	b     *bench
	token string
	calls []call
}

func (b *bench) newUser() *user {
	_, tok := authtest.NewUser(b.t, b.s)
	return &user{b: b, token: tok}
}

// record runs f and files the model calls it caused under label.
func (u *user) record(label string, f func()) {
	n := len(u.b.cache.Results())
	f()
	for _, r := range u.b.cache.Results()[n:] {
		u.calls = append(u.calls, call{label: label, CacheResult: r})
	}
}

// conversation starts one with a title of its own, so no titling call of the small model
// runs in the background among the turns measured (a title costs one small call per
// conversation, outside the turns' cache).
func (u *user) conversation() string {
	res := u.b.s.Do("POST", "/api/v1/conversations", u.token, map[string]any{"title": "Measured conversation"})
	if res.Status != http.StatusCreated {
		u.b.t.Fatalf("create conversation: %d %s", res.Status, res.Body)
	}
	var c struct{ ID string }
	res.JSON(u.b.t, &c)
	return c.ID
}

// say sends a message and reads the reply's stream to its end.
func (u *user) say(label, conv, text string) {
	u.record(label, func() {
		res := u.b.s.Do("POST", "/api/v1/conversations/"+conv+"/messages", u.token, map[string]any{"content": text})
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "message_end") {
			u.b.t.Fatalf("%s: %d %s", label, res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), `event: error`) {
			u.b.t.Fatalf("%s: the reply failed: %s", label, res.Body)
		}
	})
}

// runTask creates a task, runs it now and waits for the run to succeed.
func (u *user) runTask(label string) {
	res := u.b.s.Do("POST", "/api/v1/tasks", u.token, map[string]any{"title": "Morning brief",
		"instruction": "Give me a short plan for today from what you know of my projects.",
		"schedule":    map[string]any{"kind": "daily", "time": "08:00"}, "timezone": "UTC", "channels": []string{"in_app"}})
	if res.Status != http.StatusCreated {
		u.b.t.Fatalf("create task: %d %s", res.Status, res.Body)
	}
	var tk struct{ ID string }
	res.JSON(u.b.t, &tk)
	u.record(label, func() {
		if res := u.b.s.Do("POST", "/api/v1/tasks/"+tk.ID+"/run", u.token, nil); res.Status != http.StatusAccepted {
			u.b.t.Fatalf("run task: %d %s", res.Status, res.Body)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			res := u.b.s.Do("GET", "/api/v1/tasks/"+tk.ID+"/runs", u.token, nil)
			var out struct{ Runs []struct{ Status string } }
			res.JSON(u.b.t, &out)
			if len(out.Runs) > 0 && out.Runs[0].Status == "succeeded" {
				return
			}
			if len(out.Runs) > 0 && out.Runs[0].Status == "failed" {
				u.b.t.Fatalf("the task run failed: %s", res.Body)
			}
			if time.Now().After(deadline) {
				u.b.t.Fatalf("the task run did not finish: %s", res.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// cost prices calls with Ally's price table: input at the input price, cache reads at
// the cache-read price (0.1×), 5-minute writes at the cache-write price (1.25×) and
// 1-hour writes at twice the input price; uncached, every input token at the input
// price. Output is the same either way and left out.
func cost(calls []call) (cached, uncached float64) {
	prices := usage.DefaultPrices()
	for _, c := range calls {
		p, ok := prices.Lookup(c.Model)
		if !ok {
			panic("no price for " + c.Model)
		}
		cached += float64(c.InputTokens)*p.Input + float64(c.CacheReadTokens)*p.CacheRead +
			float64(c.Creation5mTokens)*p.CacheWrite + float64(c.Creation1hTokens)*2*p.Input
		uncached += float64(c.total()) * p.Input
	}
	return cached / 1e6, uncached / 1e6
}

// totals sums the input tokens of calls.
func totals(calls []call) (input, read, write, all int64) {
	for _, c := range calls {
		input += c.InputTokens
		read += c.CacheReadTokens
		write += c.CacheCreationTokens
		all += c.total()
	}
	return
}

// breaker explains a call that wrote again tokens an earlier call had already sent: the
// earlier call it shares the longest prefix with, how long that prefix is, and the first
// block where the two differ. It returns "" when the call re-wrote nothing.
func breaker(calls []call, i int) string {
	c := calls[i]
	best, bestJ := -1, -1
	for j := 0; j < i; j++ {
		if calls[j].Model != c.Model {
			continue
		}
		n := 0
		for n < len(c.Prefix) && n < len(calls[j].Prefix) && c.Prefix[n].Sum == calls[j].Prefix[n].Sum {
			n++
		}
		if n > best {
			best, bestJ = n, j
		}
	}
	if bestJ < 0 || best == 0 {
		return ""
	}
	shared := c.Prefix[best-1].Tokens
	if shared <= c.CacheReadTokens+16 {
		return ""
	}
	var why string
	switch {
	case c.ExpiredTokens > c.CacheReadTokens:
		why = fmt.Sprintf("the cache entry of its first %d tokens (shared with %s) had expired", c.ExpiredTokens, calls[bestJ].label)
	case shared < llmtest.MinCacheTokens(c.Model):
		why = fmt.Sprintf("the prefix it shares with %s (%d tokens) is under the %d-token minimum", calls[bestJ].label, shared, llmtest.MinCacheTokens(c.Model))
	default:
		why = fmt.Sprintf("it shares %d tokens with %s but read %d", shared, calls[bestJ].label, c.CacheReadTokens)
	}
	if best < len(c.Prefix) {
		p := c.Prefix[best]
		why += fmt.Sprintf("; they part at block %d (%s, %s: %q)", best, p.Kind, p.Role, p.Text)
	}
	return why
}

// report renders calls as a markdown table, one row per model call, with the totals.
func report(title string, calls []call) string {
	var w strings.Builder
	fmt.Fprintf(&w, "### %s\n\n", title)
	w.WriteString("| call | model | input | cache read | cache write (5m/1h) | read share | cost × uncached | what broke the cache |\n|---|---|---|---|---|---|---|---|\n")
	for i, c := range calls {
		cc, cu := cost(calls[i : i+1])
		fmt.Fprintf(&w, "| %s | %s | %d | %d | %d/%d | %.1f %% | %.3f | %s |\n", c.label, c.Model, c.InputTokens, c.CacheReadTokens,
			c.Creation5mTokens, c.Creation1hTokens, 100*float64(c.CacheReadTokens)/float64(c.total()), cc/cu, breaker(calls, i))
	}
	in, rd, wr, all := totals(calls)
	cc, cu := cost(calls)
	fmt.Fprintf(&w, "\nTotal: %d input tokens in %d calls: %d uncached, %d read from the cache (%.1f %%), %d written to it; input cost $%.6f with caching vs $%.6f without (%.3f×).\n\n",
		all, len(calls), in, rd, 100*float64(rd)/float64(all), wr, cc, cu, cc/cu)
	return w.String()
}

// share is the part of the calls' input read from the cache.
func share(calls []call) float64 {
	_, rd, _, all := totals(calls)
	return float64(rd) / float64(all)
}

package costbench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// longConversation is 20 turns of one conversation, a minute apart; with memory, turns 8
// and 15 ask the assistant to remember something (a memory write each).
func longConversation(b *bench, memory bool) *user {
	u := b.newUser()
	conv := u.conversation()
	for i := 1; i <= 20; i++ {
		text := fmt.Sprintf("Question %d about my garden: what should I plant next to the tomatoes this spring, and how often should I water them?", i)
		if memory && (i == 8 || i == 15) {
			text = fmt.Sprintf("Please remember that my garden bed number %d gets afternoon shade.", i)
		}
		u.say(fmt.Sprintf("turn %d", i), conv, text)
		b.advance(time.Minute)
	}
	return u
}

// userDay is a typical user's day: three conversations of five turns (turns a minute
// apart) at 09:00, 09:40 and 10:30, two of them with a memory write by the assistant's
// memory tool, and one task run at 10:00.
func userDay(b *bench) *user {
	u := b.newUser()
	day := []struct {
		at    string
		turns []string
	}{
		{"09:00", []string{
			"Good morning! Can you help me plan a week of vegetarian dinners?",
			"Please remember that I am vegetarian and cook for two.",
			"What should I buy for the first three dinners?",
			"Can you make the shopping list shorter?",
			"Thanks, that is great.",
		}},
		{"09:40", []string{
			"I need to write an email to my landlord about a broken heater.",
			"Make it a bit more formal.",
			"Please remember that my landlord is called Mrs Peters.",
			"Add a sentence asking for a date for the repair.",
			"Perfect, thank you.",
		}},
		{"10:30", []string{
			"What is a good stretching routine for ten minutes after running?",
			"Which of these help with tight calves?",
			"How long should I hold each stretch?",
			"Can you put it in a short table?",
			"Great, thanks.",
		}},
	}
	for ci, c := range day {
		if c.at == "10:30" {
			b.at("10:00")
			u.runTask("task run")
		}
		b.at(c.at)
		conv := u.conversation()
		for ti, text := range c.turns {
			u.say(fmt.Sprintf("conv %d turn %d", ci+1, ti+1), conv, text)
			b.advance(time.Minute)
		}
	}
	return u
}

// databases lists the databases to measure on: SQLite, and PostgreSQL when configured.
func databases() []db.Dialect {
	if dbtest.PostgresURL() != "" {
		return []db.Dialect{db.SQLite, db.Postgres}
	}
	return []db.Dialect{db.SQLite}
}

// freshTarget is a new, empty database of dialect d: every instance gets its own, so no
// other instance's job workers take its task runs.
func freshTarget(t testing.TB, d db.Dialect) dbtest.Target {
	if d == db.Postgres {
		url := dbtest.PostgresURL()
		return dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(t, url)}}
	}
	return dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(t.TempDir(), "ally.db")}}
}

// variant is one configuration the benchmark measures.
type variant struct {
	words int    // reply length of the fake model
	ttl   string // ALLY_LLM_CACHE_TTL
}

var variants = []variant{{40, "5m"}, {40, "1h"}, {100, "5m"}, {100, "1h"}}

// result is what one variant measured.
type result struct {
	v                      variant
	long, memory, day      []call
	fromThird, lowestTurn  float64
	longCostX, dayCostX    float64
	dayCached, dayUncached float64
}

func measure(b testing.TB, d db.Dialect, v variant) result {
	r := result{v: v}
	r.long = longConversation(newBench(b, freshTarget(b, d), v.words, "ALLY_LLM_CACHE_TTL", v.ttl), false).calls
	r.memory = longConversation(newBench(b, freshTarget(b, d), v.words, "ALLY_LLM_CACHE_TTL", v.ttl), true).calls
	r.day = userDay(newBench(b, freshTarget(b, d), v.words, "ALLY_LLM_CACHE_TTL", v.ttl)).calls
	var fromThird []call
	r.lowestTurn = 1
	for i := 1; i <= 20; i++ {
		var turn []call
		for _, c := range r.long {
			if c.label == fmt.Sprintf("turn %d", i) {
				turn = append(turn, c)
			}
		}
		if i >= 3 {
			fromThird = append(fromThird, turn...)
			r.lowestTurn = min(r.lowestTurn, share(turn))
		}
	}
	r.fromThird = share(fromThird)
	lc, lu := cost(r.long)
	r.longCostX = lc / lu
	r.dayCached, r.dayUncached = cost(r.day)
	r.dayCostX = r.dayCached / r.dayUncached
	return r
}

// BenchmarkCostPerTurn runs the 20-turn conversation and the user-day through a real
// instance against the caching fake, for replies of 40 and 100 words and both lifetimes
// of the stable prefix, and reports per model call and in total the share of input
// tokens read from the cache, the input cost against the same calls uncached, and what
// broke the cache. The tables go to the log and, with ALLY_BENCH_RESULTS set, to
// cost-per-turn-<database>.md in that directory. Run it with -benchtime 1x.
func BenchmarkCostPerTurn(b *testing.B) {
	for _, d := range databases() {
		b.Run(string(d), func(b *testing.B) {
			for range b.N {
				var sum, detail strings.Builder
				fmt.Fprintf(&sum, "## Cost per turn on %s\n\nclaude-sonnet-4-5 answers (1,024-token minimum), prices from Ally's table (input $3, cache read $0.30, 5-minute write $3.75, 1-hour write $6 per million); cost is of input tokens only, against the same calls uncached.\n\n", d)
				sum.WriteString("| reply words | ALLY_LLM_CACHE_TTL | 20 turns: read from turn 3 | lowest turn ≥ 3 | overall | input cost × | 20 turns, 2 memory writes: read | input cost × | user-day: read | input cost × | $ cached / uncached |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
				for _, v := range variants {
					r := measure(b, d, v)
					mc, mu := cost(r.memory)
					fmt.Fprintf(&sum, "| %d | %s | %.1f %% | %.1f %% | %.1f %% | %.3f | %.1f %% | %.3f | %.1f %% | %.3f | %.5f / %.5f |\n", v.words, v.ttl,
						100*r.fromThird, 100*r.lowestTurn, 100*share(r.long), r.longCostX, 100*share(r.memory), mc/mu, 100*share(r.day), r.dayCostX, r.dayCached, r.dayUncached)
					name := fmt.Sprintf("%dw-%s", v.words, v.ttl)
					b.ReportMetric(100*r.fromThird, name+"-long-read-%")
					b.ReportMetric(r.longCostX, name+"-long-cost-x")
					b.ReportMetric(100*share(r.day), name+"-day-read-%")
					b.ReportMetric(r.dayCostX, name+"-day-cost-x")
					fmt.Fprintf(&detail, "\n## Replies of %d words, stable prefix %s\n\n", v.words, v.ttl)
					detail.WriteString(report("20-turn conversation", r.long))
					detail.WriteString(report("20-turn conversation with memory writes at turns 8 and 15", r.memory))
					detail.WriteString(report("A user's day", r.day))
				}
				// Summaries: a context budget small enough that the 20 turns are summarised.
				sb := newBench(b, freshTarget(b, d), 40, "ALLY_CONTEXT_TOKENS", "1000")
				summarised := longConversation(sb, false).calls
				fmt.Fprintf(&sum, "\nWith ALLY_CONTEXT_TOKENS=1000 (older turns summarised), 40-word replies: %.1f %% of the input read from the cache, input cost %.3f× uncached (summary calls included; see the last table).\n",
					100*share(summarised), func() float64 { c, u := cost(summarised); return c / u }())
				detail.WriteString("\n## Summarised: ALLY_CONTEXT_TOKENS=1000, replies of 40 words\n\n")
				detail.WriteString(report("20-turn conversation with summaries", summarised))
				b.ReportMetric(0, "ns/op")
				out := sum.String() + detail.String()
				b.Log("\n" + sum.String())
				if dir := os.Getenv("ALLY_BENCH_RESULTS"); dir != "" {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						b.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, "cost-per-turn-"+string(d)+".md"), []byte(out), 0o644); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

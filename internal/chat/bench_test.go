package chat_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// TestHelperFakeProvider is not a test: the CPU benchmark runs the test binary again with
// ALLY_BENCH_FAKE=words to serve the fake providers from another process, so that the
// benchmark's own CPU time is the server's (and its client's) alone.
func TestHelperFakeProvider(t *testing.T) {
	words := os.Getenv("ALLY_BENCH_FAKE")
	if words == "" {
		t.Skip("helper process for BenchmarkServerCPUPerToken")
	}
	var n int
	fmt.Sscan(words, &n)
	reply := slowReply(n)
	reply.ChunkDelay = 0
	srv := llmtest.New(llmtest.Options{Responder: func(*llmtest.Incoming) llmtest.Reply { return reply }})
	hs := httptest.NewServer(srv)
	fmt.Println("FAKE_URL=" + hs.URL)
	select {}
}

// fakeProcess starts the fake providers in a child process, each reply words long.
func fakeProcess(b *testing.B, words int) *llmtest.Server {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFakeProvider$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("ALLY_BENCH_FAKE=%d", words))
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "FAKE_URL="); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return &llmtest.Server{URL: u}
		}
	}
	b.Fatal("the fake provider process did not start")
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchTarget(b *testing.B) dbtest.Target {
	if url := dbtest.PostgresURL(); url != "" && os.Getenv("ALLY_BENCH_DB") == "postgres" {
		return dbtest.Target{Dialect: db.Postgres, Options: db.Options{URL: url, Schema: dbtest.NewSchema(b, url)}}
	}
	return dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: b.TempDir() + "/ally.db"}}
}

// BenchmarkServerCPUPerToken streams replies of 2,000 tokens to one client and reports
// the CPU time this process (server and client; the provider runs in another process)
// spends per streamed token.
func BenchmarkServerCPUPerToken(b *testing.B) {
	const words = 2000
	fake := fakeProcess(b, words)
	s := apptest.Start(b, benchTarget(b), apptest.Options{Env: benchEnv(fake)})
	_, token := benchUser(b, s)
	convs := make([]string, b.N)
	for i := range convs {
		convs[i] = benchConversation(b, s, token)
	}
	b.ResetTimer()
	start := cpuTime()
	tokens := 0
	for i := 0; i < b.N; i++ {
		st := benchSend(b, s, token, convs[i], "stream")
		tokens += len(llmtest.Chunks(st))
	}
	cpu := cpuTime() - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(tokens), "cpu-ns/token")
	b.ReportMetric(float64(tokens)/float64(b.N), "tokens/reply")
}

// BenchmarkDBWritesPerReply streams paced replies (300 tokens at 2ms each, about as fast
// as a fast model) and counts the database write transactions of a whole turn: the turn
// itself, the batched text saves, the usage ledger and the final state.
func BenchmarkDBWritesPerReply(b *testing.B) {
	fake := llmtest.New(llmtest.Options{Responder: func(*llmtest.Incoming) llmtest.Reply {
		r := slowReply(300)
		r.ChunkDelay = 2 * time.Millisecond
		return r
	}})
	hs := httptest.NewServer(fake)
	b.Cleanup(hs.Close)
	fake.URL = hs.URL
	s := apptest.Start(b, benchTarget(b), apptest.Options{Env: benchEnv(fake)})
	_, token := benchUser(b, s)
	convs := make([]string, b.N)
	for i := range convs {
		convs[i] = benchConversation(b, s, token)
	}
	b.ResetTimer()
	store := s.Chat.Store()
	w0, c0, t0 := s.DB.WriteTransactions(), store.Writes(), store.WriteTransactions()
	for i := 0; i < b.N; i++ {
		benchSend(b, s, token, convs[i], "hello")
	}
	chatWrites := store.Writes() - c0
	others := s.DB.WriteTransactions() - w0 - (store.WriteTransactions() - t0)
	b.ReportMetric(float64(chatWrites+others)/float64(b.N), "db-writes/reply")
	b.ReportMetric(float64(chatWrites)/float64(b.N), "chat-writes/reply")
}

// BenchmarkTurnCost reports the input tokens one turn sends with 10, 1,000 and 10,000
// earlier messages (about 100 tokens each), once the conversation's summary is stored.
func BenchmarkTurnCost(b *testing.B) {
	for _, earlier := range []int{10, 1_000, 10_000} {
		b.Run(fmt.Sprintf("earlier=%d", earlier), func(b *testing.B) {
			fake := llmtest.New(llmtest.Options{Record: true})
			hs := httptest.NewServer(fake)
			b.Cleanup(hs.Close)
			fake.URL = hs.URL
			s := apptest.Start(b, benchTarget(b), apptest.Options{Env: benchEnv(fake)})
			userID, token := benchUser(b, s)
			conv := benchConversation(b, s, token)
			seedMessages(b, s, userID, conv, earlier)
			// The first turn folds what the budget cannot hold into the stored summary
			// (in a conversation that grew turn by turn, this happened along the way).
			before := len(fake.TurnRequests(llmtest.Anthropic))
			benchSend(b, s, token, conv, "catch up")
			catchUp := len(fake.TurnRequests(llmtest.Anthropic)) - before - 1
			b.ResetTimer()
			var input int64
			for i := 0; i < b.N; i++ {
				benchSend(b, s, token, conv, fmt.Sprintf("question %d", i))
				ms := messages(b, s, token, conv)
				input += ms[len(ms)-1].Usage.InputTokens
			}
			b.ReportMetric(float64(input)/float64(b.N), "input-tokens/turn")
			b.ReportMetric(float64(catchUp), "catch-up-summary-calls")
		})
	}
}

// seedMessages stores n alternating user and assistant messages of about 100 tokens.
func seedMessages(b *testing.B, s *apptest.Server, userID, conv string, n int) {
	ctx := context.Background()
	text := strings.Repeat("Some earlier words of this long conversation. ", 9)
	now := time.Now().UnixMilli()
	err := s.DB.Tx(ctx, func(tx *sqlTx) error {
		for i := 1; i <= n; i++ {
			role := "user"
			if i%2 == 0 {
				role = "assistant"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, user_id, seq, role, content, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'complete', $7, $7)`, fmt.Sprintf("seed-%s-%d", conv, i), conv, userID, i, role, text, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

type sqlTx = sql.Tx

func benchEnv(fake *llmtest.Server) map[string]string {
	e := env(fake)
	// Production settings, and a plan without limits (the benchmarks send a lot).
	delete(e, "ALLY_CHAT_FLUSH_INTERVAL")
	delete(e, "ALLY_CHAT_FOLLOW_INTERVAL")
	e["ALLY_LOG_LEVEL"] = "warn"
	e["ALLY_PLANS"] = `[{"id":"free","name":"Unlimited"}]`
	return e
}

func benchUser(b *testing.B, s *apptest.Server) (string, string) { return authtest.NewUser(b, s) }

func benchConversation(b *testing.B, s *apptest.Server, token string) string {
	return newConversation(b, s, token)
}

// benchSend sends a message, reads the whole reply and returns its text.
func benchSend(b *testing.B, s *apptest.Server, token, conv, content string) string {
	st := send(b, s, token, conv, content)
	if st.end() != "complete" {
		b.Fatalf("reply ended %s", st.end())
	}
	return st.text()
}

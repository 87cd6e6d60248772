package llm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/llm/llmtest"
)

const benchTokens = 1000

// recordStream captures the fake's streamed reply of benchTokens words for provider p,
// so the benchmark can replay the bytes without the fake's own encoding work.
func recordStream(b *testing.B, p llmtest.Provider) []byte {
	fake := llmtest.New(llmtest.Options{})
	fake.Script(p, llmtest.Reply{Text: strings.Repeat("word ", benchTokens-1) + "end"})
	var req *http.Request
	switch p {
	case llmtest.Anthropic:
		req = httptest.NewRequest("POST", "/v1/messages", strings.NewReader(`{"model":"claude-sonnet-4-5","stream":true,"max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}`))
	case llmtest.OpenAI:
		req = httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(`{"model":"gpt-5-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`))
	case llmtest.Gemini:
		req = httptest.NewRequest("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", strings.NewReader(`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`))
	}
	req.Header.Set("X-Api-Key", "k")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("X-Goog-Api-Key", "k")
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("recording %s: %d %s", p, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

func replayServer(b *testing.B, body []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// BenchmarkStreamPerToken measures time, process CPU time, allocations and bytes per
// streamed token (one word per event) of a 1000-token reply, through the adapter alone and
// through adapter and router together. It includes the SDK's decoding and the loopback
// HTTP from a server replaying recorded bytes.
func BenchmarkStreamPerToken(b *testing.B) {
	for _, p := range allProviders {
		body := recordStream(b, p)
		url := replayServer(b, body)
		prov := newProvider(b, p, url)
		req := hello()
		b.Run(string(p)+"/adapter", func(b *testing.B) {
			perToken(b, func() int {
				s, err := prov.Open(context.Background(), prov.Model(llm.TierMain), req)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for s.Next() {
					if s.Event().Type == llm.EventText {
						n++
					}
				}
				if s.Err() != nil {
					b.Fatal(s.Err())
				}
				s.Close()
				return n
			})
		})
		b.Run(string(p)+"/router", func(b *testing.B) {
			r := llm.NewRouter(llm.RouterConfig{}, prov)
			perToken(b, func() int {
				t := r.Stream(context.Background(), req)
				n := 0
				for t.Next() {
					if t.Event().Type == llm.EventText {
						n++
					}
				}
				if t.Err() != nil {
					b.Fatal(t.Err())
				}
				t.Close()
				return n
			})
		})
	}
}

func perToken(b *testing.B, turn func() int) {
	var before, after runtime.MemStats
	tokens := 0
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if n := turn(); n != benchTokens {
			b.Fatalf("%d tokens", n)
		}
		tokens += benchTokens
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tokens), "ns/token")
	b.ReportMetric(float64(cpu)/float64(tokens), "cpu-ns/token")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(tokens), "allocs/token")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(tokens), "B/token")
}

// cpuTime is the process's user and system CPU time in nanoseconds: client, loopback
// server and garbage collector together.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

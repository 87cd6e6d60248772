// Command fakellm runs fakes of the Anthropic, OpenAI and Gemini HTTP APIs in their real
// wire formats, so that `ally serve`, browser tests and benchmarks can run with no real
// provider and no network:
//
//	fakellm -addr 127.0.0.1:8089 -ttft 300ms -tps 40 -words 60
//	ANTHROPIC_API_KEY=fake ANTHROPIC_BASE_URL=http://127.0.0.1:8089 ally serve
//
// One address serves every protocol: POST /v1/messages (Anthropic Messages, streamed as
// SSE with message_start, content_block_start/delta/stop, ping, message_delta and
// message_stop), /v1/messages/batches (Message Batches: create, poll, results; a batch
// ends on its second poll), POST /v1/chat/completions (OpenAI, set
// OPENAI_BASE_URL=http://ADDR/v1) and POST /v1beta/models/MODEL:streamGenerateContent
// (Gemini, set GOOGLE_GEMINI_BASE_URL=http://ADDR). Any non-empty API key is accepted.
//
// Every reply follows one script, whatever the protocol:
//
//   - If the last message is a tool result, the reply is "Done: I have saved that to
//     memory." (or, if the result mentions an error, "The memory tool reported a
//     problem: …").
//   - If the user's message contains "remember" and the request offers a tool named
//     "memory", the reply is "I'll remember that." followed by a call of the memory tool
//     with {"command":"create","path":"/memories/notes.md","file_text":"<what followed
//     'remember' (and 'that')>"}, stop reason tool_use. This exercises the chat layer's
//     tool loop end to end: the next request carries the tool result and gets the
//     confirmation above.
//   - If the message opens with "<first_exchange>" (Ally asking the small model for a
//     conversation's title), the reply is a title made of the first four words of more
//     than three letters of the person's message, the first capitalised
//     (llmtest.TitleFor).
//   - Otherwise the reply is "You said: <the start of the message>" padded with filler
//     text to -words words.
//
// Replies stream one word per event: the first after -ttft, the next ones at -tps words
// per second (0: as fast as possible). Usage is reported with every reply (input tokens
// estimated from the request size, output tokens = words).
//
// -cache applies Anthropic's prompt caching rules to /v1/messages (see
// llmtest.PromptCache: at most 4 breakpoints, 1,024-token minimum prefix, 2,048 for
// Haiku, 5-minute or 1-hour lifetime refreshed on read, tokens estimated as bytes/4) and
// reports cache_read_input_tokens and cache_creation_input_tokens as the real API does.
//
// -fault-rate (default 0: none) breaks that fraction of the chat replies the way real
// providers fail: 529, 500, 429 with Retry-After, an error event or a dropped connection
// mid-stream, or a first token -slow-first late (see llmtest.WithFaults); -fault-seed makes
// the draw repeatable. GET /fakellm/faults answers what was injected so far as JSON
// {"replies": n, "faults": {"kind": n}} (the soak, `make soak`, reports it).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"myally.app/ally/internal/llm/llmtest"
)

func main() {
	o := options{}
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8089", "address to listen on (host:port)")
	flag.DurationVar(&o.ttft, "ttft", 200*time.Millisecond, "time to first token")
	flag.Float64Var(&o.tps, "tps", 50, "tokens (words) per second after the first; 0 for no pacing")
	flag.IntVar(&o.words, "words", 40, "length of an ordinary reply, in words")
	flag.Float64Var(&o.faultRate, "fault-rate", 0, "fraction of chat replies that fail (0 to 1)")
	flag.DurationVar(&o.slowFirst, "slow-first", 2*time.Second, "extra time to first token of a slow-first-token fault")
	flag.Uint64Var(&o.faultSeed, "fault-seed", 1, "seed of the fault draw")
	flag.BoolVar(&o.cache, "cache", false, "apply Anthropic's prompt caching rules and report cache reads and writes in the usage")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, nil); err != nil {
		fmt.Fprintln(os.Stderr, "fakellm:", err)
		os.Exit(1)
	}
}

type options struct {
	addr  string
	ttft  time.Duration
	tps   float64
	words int

	faultRate float64
	slowFirst time.Duration
	faultSeed uint64
	cache     bool
}

// run serves the fakes until ctx ends; ready, if set, gets the address once listening.
func run(ctx context.Context, o options, ready func(addr string)) error {
	if o.tps < 0 || o.words < 1 || o.ttft < 0 {
		return errors.New("-tps and -ttft must not be negative and -words must be at least 1")
	}
	if o.faultRate < 0 || o.faultRate > 1 || o.slowFirst < 0 {
		return errors.New("-fault-rate must be between 0 and 1 and -slow-first not negative")
	}
	var chunk time.Duration
	if o.tps > 0 {
		chunk = time.Duration(float64(time.Second) / o.tps)
	}
	faults := &llmtest.Faults{}
	responder := llmtest.WithFaults(llmtest.DefaultResponder(llmtest.ScriptOptions{
		ReplyWords: o.words, FirstTokenDelay: o.ttft, ChunkDelay: chunk,
	}), o.faultRate, o.slowFirst, o.faultSeed, faults)
	mux := http.NewServeMux()
	lo := llmtest.Options{Responder: responder}
	if o.cache {
		lo.Cache = llmtest.NewPromptCache(nil)
	}
	mux.Handle("/", llmtest.New(lo))
	mux.HandleFunc("GET /fakellm/faults", func(w http.ResponseWriter, _ *http.Request) {
		replies, counts := faults.Counts()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"replies": replies, "faults": counts})
	})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	base := "http://" + ln.Addr().String()
	slog.Info("fake model providers listening", "addr", ln.Addr().String(),
		"anthropic_base_url", base, "openai_base_url", base+"/v1", "google_gemini_base_url", base,
		"ttft", o.ttft.String(), "tps", o.tps, "words", o.words, "fault_rate", o.faultRate)
	if ready != nil {
		ready(ln.Addr().String())
	}
	err = srv.Serve(ln)
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-done
	return nil
}

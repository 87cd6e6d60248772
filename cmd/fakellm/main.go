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
//   - Otherwise the reply is "You said: <the start of the message>" padded with filler
//     text to -words words.
//
// Replies stream one word per event: the first after -ttft, the next ones at -tps words
// per second (0: as fast as possible). Usage is reported with every reply (input tokens
// estimated from the request size, output tokens = words).
package main

import (
	"context"
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
}

// run serves the fakes until ctx ends; ready, if set, gets the address once listening.
func run(ctx context.Context, o options, ready func(addr string)) error {
	if o.tps < 0 || o.words < 1 || o.ttft < 0 {
		return errors.New("-tps and -ttft must not be negative and -words must be at least 1")
	}
	var chunk time.Duration
	if o.tps > 0 {
		chunk = time.Duration(float64(time.Second) / o.tps)
	}
	fake := llmtest.New(llmtest.Options{Responder: llmtest.DefaultResponder(llmtest.ScriptOptions{
		ReplyWords: o.words, FirstTokenDelay: o.ttft, ChunkDelay: chunk,
	})})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
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
		"ttft", o.ttft.String(), "tps", o.tps, "words", o.words)
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

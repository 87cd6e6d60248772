package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/llm"
)

func TestRunServesAllProvidersUntilStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{addr: "127.0.0.1:0", words: 12}, func(a string) { addrs <- a })
	}()
	base := "http://" + <-addrs
	g, err := llm.NewGemini(llm.ProviderConfig{APIKey: "k", BaseURL: base, Model: "gemini-2.5-flash"})
	if err != nil {
		t.Fatal(err)
	}
	providers := []llm.Provider{
		llm.NewAnthropic(llm.ProviderConfig{APIKey: "k", BaseURL: base, Model: "claude-sonnet-4-5"}),
		llm.NewOpenAI(llm.ProviderConfig{APIKey: "k", BaseURL: base + "/v1", Model: "gpt-5-mini"}),
		g,
	}
	for _, p := range providers {
		res, err := llm.NewRouter(llm.RouterConfig{}, p).Complete(ctx, &llm.Request{Messages: []llm.Message{llm.UserText("ping")}})
		if err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
		if text := res.Message.Text(); !strings.HasPrefix(text, "You said: ping") || len(strings.Fields(text)) != 12 {
			t.Fatalf("%s replied %q", p.Name(), text)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fakellm did not stop")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if err := run(context.Background(), options{addr: "127.0.0.1:0", tps: -1, words: 5}, nil); err == nil {
		t.Fatal("negative -tps accepted")
	}
}

package app_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"myally.app/ally/internal/app"
)

// TestServeSaysWhatANewcomerNeeds: a fresh `ally serve` with no configuration tells, in
// plain words, that no model provider answers and the two ways to set one up, where email
// goes, and that the first account becomes the admin; with a key it names the provider.
func TestServeSaysWhatANewcomerNeeds(t *testing.T) {
	t.Chdir(t.TempDir())
	serve := func(vars map[string]string) string {
		env := func(k string) string {
			if k == "ALLY_ADDR" {
				return "127.0.0.1:0"
			}
			return vars[k]
		}
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		var stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- app.CLI(ctx, app.Env{Args: []string{"serve"}, Stdout: pw, Stderr: &stderr, Getenv: env})
			pw.Close()
		}()
		var out strings.Builder
		r := bufio.NewReader(pr)
		for {
			line, err := r.ReadString('\n')
			out.WriteString(line)
			if err != nil || strings.HasPrefix(line, "Email ") {
				break
			}
		}
		// The account line, when there is one, follows the email line.
		if vars["expect_account_line"] == "yes" {
			line, _ := r.ReadString('\n')
			out.WriteString(line)
		}
		go io.Copy(io.Discard, pr)
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
		if strings.Contains(stderr.String(), "sk-ant-test-secret") || strings.Contains(out.String(), "sk-ant-test-secret") {
			t.Fatal("the API key was printed")
		}
		return out.String()
	}

	out := serve(map[string]string{"expect_account_line": "yes"})
	for _, want := range []string{"Ally is running at", "No model provider is configured", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "Ollama",
		"outbox", "ally mail list", "admin area", "the first account created", "becomes this server's admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, out)
		}
	}

	out = serve(map[string]string{"ANTHROPIC_API_KEY": "sk-ant-test-secret", "expect_account_line": "yes"})
	if !strings.Contains(out, "Replies come from anthropic") || strings.Contains(out, "No model provider") {
		t.Errorf("with a key, the output does not name the provider:\n%s", out)
	}
}

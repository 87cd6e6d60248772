package costbench_test

import (
	"testing"
	"time"
)

// TestPromptCacheLayout: through a real instance and the caching fake, with the default
// configuration, a later turn reads the whole earlier conversation from the cache, a
// memory write does not make the history be written again, and a second conversation
// within the hour reads the stable prefix (tools, operator prompt, preferences) instead
// of writing it.
func TestPromptCacheLayout(t *testing.T) {
	for _, d := range databases() {
		t.Run(string(d), func(t *testing.T) {
			b := newBench(t, freshTarget(t, d), 40)
			u := b.newUser()
			conv := u.conversation()
			u.say("turn 1", conv, "Hello, can you help me plan a trip to Lisbon?")
			b.advance(time.Minute)
			u.say("turn 2", conv, "Please remember that I travel with my dog.")
			b.advance(time.Minute)
			u.say("turn 3", conv, "Which neighbourhoods are quiet?")
			calls := u.calls
			if len(calls) != 4 {
				t.Fatalf("%d model calls, want 4 (the memory write takes two)", len(calls))
			}
			first, memory, after := calls[0], calls[2], calls[3]
			if first.CacheCreationTokens == 0 {
				t.Fatalf("the first turn cached nothing: %+v", first.CacheResult)
			}
			// Turn 3 reads everything the memory turn sent before its context block: the
			// stable prefix and the whole history, although the memory index changed.
			if after.CacheReadTokens < memory.CacheReadTokens || after.CacheReadTokens < first.total() {
				t.Fatalf("after the memory write: read %d tokens, want at least the %d of the history before it",
					after.CacheReadTokens, memory.CacheReadTokens)
			}
			if s := share(calls[1:]); s < 0.85 {
				t.Fatalf("turns 2 and 3 read %.1f %% of their input from the cache, want at least 85 %%", 100*s)
			}

			// A second conversation 40 minutes later reads the stable prefix (1-hour entry).
			b.advance(40 * time.Minute)
			conv2 := u.conversation()
			u.say("second conversation", conv2, "What is a good book about the history of Portugal?")
			next := u.calls[len(u.calls)-1]
			if next.CacheReadTokens < 1024 || next.CacheCreationTokens > next.CacheReadTokens/4 {
				t.Fatalf("a new conversation within the hour: read %d, wrote %d; want the stable prefix read", next.CacheReadTokens, next.CacheCreationTokens)
			}
		})
	}
}

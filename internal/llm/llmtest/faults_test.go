package llmtest

import (
	"testing"
	"time"
)

// TestWithFaultsBreaksTheShareAsked: about rate of the replies fail, every kind of
// failure occurs, the counts add up, and rate 0 leaves the script untouched.
func TestWithFaultsBreaksTheShareAsked(t *testing.T) {
	in := &Incoming{Provider: Anthropic, LastText: "hello"}
	f := &Faults{}
	r := WithFaults(DefaultResponder(ScriptOptions{}), 0.2, time.Second, 7, f)
	broken := 0
	for range 3000 {
		rep := r(in)
		if rep.Status != 0 || rep.MidStreamError || rep.Disconnect || rep.FirstTokenDelay >= time.Second {
			broken++
		}
		if rep.Status == 429 && rep.RetryAfter != "1" {
			t.Fatalf("429 without Retry-After: %+v", rep)
		}
	}
	replies, counts := f.Counts()
	var sum int64
	for _, k := range f.Kinds() {
		if counts[k] == 0 {
			t.Errorf("no %s injected in 3000 replies", k)
		}
		sum += counts[k]
	}
	if replies != 3000 || sum != int64(broken) || broken < 480 || broken > 720 {
		t.Fatalf("%d replies, %d broken, counts %v (want about 600)", replies, broken, counts)
	}
	if rep := WithFaults(DefaultResponder(ScriptOptions{}), 0, time.Second, 7, nil)(in); rep.Status != 0 || rep.MidStreamError || rep.Disconnect {
		t.Fatalf("rate 0 broke a reply: %+v", rep)
	}
}

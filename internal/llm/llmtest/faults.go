package llmtest

import (
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// The faults WithFaults injects, by the name Faults.Counts reports them under.
const (
	FaultOverloaded = "overloaded_529"
	FaultServer     = "server_500"
	FaultRateLimit  = "rate_limited_429"
	FaultMidStream  = "mid_stream_error"
	FaultDisconnect = "dropped_connection"
	FaultSlowFirst  = "slow_first_token"
)

var faultKinds = []string{FaultOverloaded, FaultServer, FaultRateLimit, FaultMidStream, FaultDisconnect, FaultSlowFirst}

// Faults counts the replies WithFaults answered and broke; it is safe for concurrent use.
type Faults struct {
	mu      sync.Mutex
	replies int64
	counts  map[string]int64
}

// Counts returns how many replies were answered and how many of each fault were injected.
func (f *Faults) Counts() (replies int64, faults map[string]int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int64, len(f.counts))
	for k, v := range f.counts {
		out[k] = v
	}
	return f.replies, out
}

// Kinds lists the fault names in a stable order.
func (f *Faults) Kinds() []string {
	k := append([]string(nil), faultKinds...)
	sort.Strings(k)
	return k
}

func (f *Faults) count(kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies++
	if kind != "" {
		if f.counts == nil {
			f.counts = map[string]int64{}
		}
		f.counts[kind]++
	}
}

// WithFaults wraps a responder so that a fraction rate (0 to 1) of its replies fail, each
// failure drawn evenly from what real providers do: 529 overloaded, 500, 429 with a
// Retry-After of one second, an error event mid-stream, a dropped connection mid-stream,
// and a first token slowFirst late (the reply itself then completes). seed makes a run
// repeatable; faults, if not nil, counts what was injected. Message Batches reviews are
// never broken: the soak is about chat replies.
func WithFaults(next func(in *Incoming) Reply, rate float64, slowFirst time.Duration, seed uint64, faults *Faults) func(in *Incoming) Reply {
	if rate <= 0 {
		return next
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	draw := func() (hit bool, kind string, at int) {
		mu.Lock()
		defer mu.Unlock()
		if rng.Float64() >= rate {
			return false, "", 0
		}
		return true, faultKinds[rng.IntN(len(faultKinds))], rng.IntN(8)
	}
	return func(in *Incoming) Reply {
		r := next(in)
		if in.HasTool("record_review") {
			return r
		}
		hit, kind, at := draw()
		if !hit {
			if faults != nil {
				faults.count("")
			}
			return r
		}
		switch kind {
		case FaultOverloaded:
			r.Status = 529
		case FaultServer:
			r.Status = 500
		case FaultRateLimit:
			r.Status, r.RetryAfter = 429, "1"
		case FaultMidStream:
			r.MidStreamError, r.FailAfter = true, at
		case FaultDisconnect:
			r.Disconnect, r.DisconnectAfter = true, at
		case FaultSlowFirst:
			r.FirstTokenDelay += slowFirst
		}
		if faults != nil {
			faults.count(kind)
		}
		return r
	}
}

package usage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// Unlimited is the value of a limit that does not apply (null or omitted in ALLY_PLANS).
const Unlimited int64 = -1

// Limits are what a plan allows a user. Each count is a cap, or Unlimited; 0 allows
// nothing (e.g. no fallback calls).
type Limits struct {
	TokensPerDay     int64
	MessagesPerDay   int64
	ActiveTasks      int64
	MinTaskInterval  time.Duration
	MemoryFileBytes  int64
	MemoryTotalBytes int64
	FallbackPerDay   int64
}

// Plan is one subscription plan (BILL-1).
type Plan struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	StripePrice string `json:"stripe_price,omitempty"`
	Limits      Limits `json:"limits"`
}

// limitsJSON is the wire form of Limits: null or omitted means unlimited, the interval is
// a duration such as "1h".
type limitsJSON struct {
	TokensPerDay     *int64 `json:"tokens_per_day"`
	MessagesPerDay   *int64 `json:"messages_per_day"`
	ActiveTasks      *int64 `json:"active_tasks"`
	MinTaskInterval  string `json:"min_task_interval,omitempty"`
	MemoryFileBytes  *int64 `json:"memory_file_bytes"`
	MemoryTotalBytes *int64 `json:"memory_total_bytes"`
	FallbackPerDay   *int64 `json:"fallback_per_day"`
}

// MarshalJSON writes unlimited values as null.
func (l Limits) MarshalJSON() ([]byte, error) {
	opt := func(v int64) *int64 {
		if v == Unlimited {
			return nil
		}
		return &v
	}
	j := limitsJSON{opt(l.TokensPerDay), opt(l.MessagesPerDay), opt(l.ActiveTasks), "", opt(l.MemoryFileBytes), opt(l.MemoryTotalBytes), opt(l.FallbackPerDay)}
	if l.MinTaskInterval > 0 {
		j.MinTaskInterval = l.MinTaskInterval.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the wire form, refusing negative counts and bad durations.
func (l *Limits) UnmarshalJSON(b []byte) error {
	var j limitsJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	var bad error
	get := func(name string, v *int64) int64 {
		if v == nil {
			return Unlimited
		}
		if *v < 0 && bad == nil {
			bad = fmt.Errorf("%s must be 0 or more (null or omitted for unlimited)", name)
		}
		return *v
	}
	*l = Limits{
		TokensPerDay:     get("tokens_per_day", j.TokensPerDay),
		MessagesPerDay:   get("messages_per_day", j.MessagesPerDay),
		ActiveTasks:      get("active_tasks", j.ActiveTasks),
		MemoryFileBytes:  get("memory_file_bytes", j.MemoryFileBytes),
		MemoryTotalBytes: get("memory_total_bytes", j.MemoryTotalBytes),
		FallbackPerDay:   get("fallback_per_day", j.FallbackPerDay),
	}
	for name, v := range map[string]*int64{"memory_file_bytes": j.MemoryFileBytes, "memory_total_bytes": j.MemoryTotalBytes} {
		if v != nil && *v == 0 && bad == nil {
			bad = fmt.Errorf("%s must be at least 1 (null or omitted for unlimited)", name)
		}
	}
	if j.MinTaskInterval != "" {
		d, err := time.ParseDuration(j.MinTaskInterval)
		if err != nil || d < 0 {
			return fmt.Errorf("min_task_interval %q is not a duration such as 15m or 1h", j.MinTaskInterval)
		}
		l.MinTaskInterval = d
	}
	return bad
}

// Plans is the configured list of plans; the first is the default unless one is "free".
type Plans []Plan

// DefaultPlanID is the plan new users get (the users.plan column defaults to it).
const DefaultPlanID = "free"

// Get returns the plan with the id, or the default plan when there is none (a plan the
// operator removed leaves its users on the default, never without limits).
func (ps Plans) Get(id string) Plan {
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	return ps.Default()
}

// Default returns the plan users have unless they subscribed to another.
func (ps Plans) Default() Plan {
	for _, p := range ps {
		if p.ID == DefaultPlanID {
			return p
		}
	}
	return ps[0]
}

// DefaultPlans are used when ALLY_PLANS is empty: a free plan and a paid one (whose
// Stripe price the operator must still set to sell it).
func DefaultPlans() Plans {
	return Plans{
		{ID: "free", Name: "Free", Limits: Limits{
			TokensPerDay: 200_000, MessagesPerDay: 50, ActiveTasks: 3, MinTaskInterval: time.Hour,
			MemoryFileBytes: 16 << 10, MemoryTotalBytes: 128 << 10, FallbackPerDay: 20,
		}},
		{ID: "pro", Name: "Pro", Limits: Limits{
			TokensPerDay: 3_000_000, MessagesPerDay: 600, ActiveTasks: 25, MinTaskInterval: 15 * time.Minute,
			MemoryFileBytes: 64 << 10, MemoryTotalBytes: 1 << 20, FallbackPerDay: 300,
		}},
	}
}

var planID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// ParsePlans reads ALLY_PLANS: a JSON list of plans, or empty for DefaultPlans.
func ParsePlans(raw string) (Plans, error) {
	if len(bytes.TrimSpace([]byte(raw))) == 0 {
		return DefaultPlans(), nil
	}
	var wire []struct {
		ID          string  `json:"id"`
		Name        string  `json:"name"`
		StripePrice string  `json:"stripe_price"`
		Limits      *Limits `json:"limits"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wire); err != nil {
		return nil, fmt.Errorf("not a JSON list of plans: %v", err)
	}
	ps := make(Plans, len(wire))
	for i, w := range wire {
		ps[i] = Plan{ID: w.ID, Name: w.Name, StripePrice: w.StripePrice}
		if w.Limits == nil {
			// No limits given: nothing is capped (the same as omitting each one).
			_ = ps[i].Limits.UnmarshalJSON([]byte("{}"))
		} else {
			ps[i].Limits = *w.Limits
		}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("the list is empty; leave the variable unset for the default plans")
	}
	seen := map[string]bool{}
	for i := range ps {
		p := &ps[i]
		if !planID.MatchString(p.ID) {
			return nil, fmt.Errorf("plan %d: id %q must be 1-40 lowercase letters, digits, - or _", i+1, p.ID)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("plan id %q appears twice", p.ID)
		}
		seen[p.ID] = true
		if p.Name == "" {
			p.Name = p.ID
		}
	}
	return ps, nil
}

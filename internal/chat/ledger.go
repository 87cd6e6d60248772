package chat

import (
	"context"
	"time"

	"myally.app/ally/internal/memory"
	"myally.app/ally/internal/usage"
)

// UsageLedger is the Ledger of the usage service: plans, limits and the usage ledger.
type UsageLedger struct{ Usage *usage.Service }

// ReserveTurn counts one message against the user's daily allowance.
func (l UsageLedger) ReserveTurn(ctx context.Context, userID string, loc *time.Location) error {
	return l.Usage.Reserve(ctx, userID, loc)
}

// ReleaseTurn gives back a message reserved for a turn that never started.
func (l UsageLedger) ReleaseTurn(ctx context.Context, userID string, loc *time.Location) error {
	return l.Usage.Release(ctx, userID, loc)
}

// CheckTokens checks the token allowance before a further model call of a turn.
func (l UsageLedger) CheckTokens(ctx context.Context, userID string, loc *time.Location) error {
	return l.Usage.CheckTokens(ctx, userID, loc)
}

// RecordCall adds a model call to the ledger.
func (l UsageLedger) RecordCall(ctx context.Context, c ModelCall) error {
	return l.Usage.Record(ctx, usage.Call{
		UserID: c.UserID, ConversationID: c.ConversationID, MessageID: c.MessageID,
		Provider: c.Provider, Model: c.Model, Fallback: c.Fallback,
		Input: c.Usage.InputTokens, Output: c.Usage.OutputTokens,
		CacheRead: c.Usage.CacheReadTokens, CacheWrite: c.Usage.CacheWriteTokens,
		At: c.At, Loc: c.Loc,
	})
}

// FallbackAllowed says whether the plan's daily fallback allowance has room.
func (l UsageLedger) FallbackAllowed(ctx context.Context, userID string, loc *time.Location) (bool, error) {
	return l.Usage.FallbackAllowed(ctx, userID, loc)
}

// MemoryLimits returns the plan's memory quotas (memory.Limits: zero or less is none).
func (l UsageLedger) MemoryLimits(ctx context.Context, userID string) (memory.Limits, error) {
	p, err := l.Usage.PlanFor(ctx, userID)
	if err != nil {
		return memory.Limits{}, err
	}
	quota := func(v int64) int64 {
		if v == usage.Unlimited {
			return 0
		}
		return max(v, 1) // 0 allows nothing; memory reads 0 as "no limit"
	}
	return memory.Limits{MaxFileBytes: quota(p.Limits.MemoryFileBytes), MaxTotalBytes: quota(p.Limits.MemoryTotalBytes)}, nil
}

package chat

import (
	"context"
	"database/sql"
	"time"

	"myally.app/ally/internal/memory"
	"myally.app/ally/internal/usage"
)

// UsageLedger is the Ledger of the usage service: plans, limits and the usage ledger.
type UsageLedger struct{ Usage *usage.Service }

// PrepareTurn reads the user's plan and returns the reservation of one message and the
// turn's estimated tokens, to make in the transaction claiming the conversation.
func (l UsageLedger) PrepareTurn(ctx context.Context, userID string, loc *time.Location) (ReserveFunc, error) {
	reserve, err := l.Usage.PrepareTurn(ctx, userID, loc)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, tx *sql.Tx, h TurnHold) error {
		return reserve(ctx, tx, usage.Hold{ConversationID: h.ConversationID, MessageID: h.ReplyID, Estimate: h.Estimate})
	}, nil
}

// CheckTokens checks the token allowance before a further model call of a turn.
func (l UsageLedger) CheckTokens(ctx context.Context, userID, replyID string, loc *time.Location) error {
	return l.Usage.CheckTurnTokens(ctx, userID, replyID, loc)
}

// RecordCall adds a model call of a held turn to the ledger.
func (l UsageLedger) RecordCall(ctx context.Context, c ModelCall) error {
	return l.Usage.Record(ctx, usageCall(c))
}

func usageCall(c ModelCall) usage.Call {
	return usage.Call{
		UserID: c.UserID, ConversationID: c.ConversationID, MessageID: c.MessageID,
		Provider: c.Provider, Model: c.Model, Fallback: c.Fallback,
		Input: c.Usage.InputTokens, Output: c.Usage.OutputTokens,
		CacheRead: c.Usage.CacheReadTokens, CacheWrite: c.Usage.CacheWriteTokens, CacheWrite1h: c.Usage.CacheWrite1hTokens,
		At: c.At, Loc: c.Loc, Held: true, Seq: c.Seq,
	}
}

// SaveProgress keeps the call in progress with the turn's reservation, in tx.
func (l UsageLedger) SaveProgress(ctx context.Context, tx *sql.Tx, c ModelCall) error {
	return l.Usage.SaveProgress(ctx, tx, c.MessageID, usage.Progress{Seq: c.Seq, Provider: c.Provider, Model: c.Model,
		Fallback: c.Fallback, Input: c.Usage.InputTokens, Output: c.Usage.OutputTokens,
		CacheRead: c.Usage.CacheReadTokens, CacheWrite: c.Usage.CacheWriteTokens})
}

// SettleTurn ends the turn's reservation in tx, with the turn's last call when set.
func (l UsageLedger) SettleTurn(ctx context.Context, tx *sql.Tx, replyID string, giveBack bool, last *ModelCall) error {
	var c *usage.Call
	if last != nil {
		uc := usageCall(*last)
		c = &uc
	}
	return l.Usage.SettleTurn(ctx, tx, replyID, giveBack, c)
}

// TurnUsage is what the ledger recorded for a reply's model calls, read in tx.
func (l UsageLedger) TurnUsage(ctx context.Context, tx *sql.Tx, replyID string) (TokenTotals, error) {
	t, err := l.Usage.MessageTotals(ctx, tx, replyID)
	if err != nil {
		return TokenTotals{}, err
	}
	return TokenTotals{InputTokens: t.InputTokens, OutputTokens: t.OutputTokens,
		CacheReadTokens: t.CacheReadTokens, CacheWriteTokens: t.CacheWriteTokens}, nil
}

// ForgetConversation removes a deleted conversation from the ledger, in tx.
func (l UsageLedger) ForgetConversation(ctx context.Context, tx *sql.Tx, userID, convID string) error {
	return l.Usage.ForgetConversation(ctx, tx, userID, convID)
}

// RecordBackground records a model call made for the user on Ally's own initiative
// (titling a conversation) as background usage: shown with its label, outside the quota.
func (l UsageLedger) RecordBackground(ctx context.Context, c ModelCall, purpose string) error {
	return l.Usage.RecordBackground(ctx, usage.BackgroundCall{UserID: c.UserID, Purpose: purpose, Provider: c.Provider, Model: c.Model,
		Input: c.Usage.InputTokens, Output: c.Usage.OutputTokens, CacheRead: c.Usage.CacheReadTokens, CacheWrite: c.Usage.CacheWriteTokens,
		Day: c.At.In(c.Loc).Format("2006-01-02"), At: c.At})
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

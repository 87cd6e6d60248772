package app

import (
	"context"
	"time"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/insights"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/llm"
	"myally.app/ally/internal/privacy"
	usagesvc "myally.app/ally/internal/usage" // app has its own usage (the CLI help)
)

// wireInsights builds the nightly analysis on chat (the day's activity, the opt-out),
// accounts (timezones, standing), usage (the background ledger) and the model providers
// (Message Batches when Claude is configured), registers the guidance API, its jobs and
// its notes' retention, and makes it chat's source of learned guidance.
func (m *Main) wireInsights(ctx context.Context) error {
	models, err := llm.FromConfig(m.Config, m.Logger)
	if err != nil {
		return err
	}
	var batches insights.Batches
	if models.Anthropic != nil {
		batches = models.Anthropic
	}
	m.Insights = insights.New(insights.Deps{
		DB:       m.DB,
		Queue:    func() *jobs.Queue { return m.Jobs },
		Activity: insightsActivity{m.Chat.Store()},
		Accounts: insightsAccounts{m},
		Ledger:   insightsLedger{m.Usage},
		Models:   models.Router,
		Batches:  batches,
		Hour:     m.Config.NightlyHour,
		Tokens:   m.Config.NightlyTokens,
		Logger:   m.Logger,
	})
	m.Chat.SetGuidance(m.Insights.GuidanceText)
	m.Insights.Routes(m.Mux, m.Auth.Require)
	m.PeriodicJobs = append(m.PeriodicJobs, m.Insights.Register(m.Workers)...)
	m.Privacy.AddRetention(privacy.Retainer{Table: "nightly_notes", Keep: "12 months", Run: m.Insights.PurgeOldNotes})
	return nil
}

// insightsActivity reads users' days from chat.
type insightsActivity struct{ store *chat.Store }

func (a insightsActivity) ActiveUsers(ctx context.Context, from, to time.Time) ([]string, error) {
	return a.store.ActiveUsers(ctx, from, to)
}

func (a insightsActivity) HasActivity(ctx context.Context, userID string, from, to time.Time) (bool, error) {
	return a.store.HasActivity(ctx, userID, from, to)
}

func (a insightsActivity) AnalysisAllowed(ctx context.Context, userID string) (bool, error) {
	return a.store.NightlyAnalysisAllowed(ctx, userID)
}

func (a insightsActivity) Day(ctx context.Context, userID string, from, to time.Time) (insights.Day, error) {
	d, err := a.store.Day(ctx, userID, from, to)
	if err != nil {
		return insights.Day{}, err
	}
	out := insights.Day{}
	for _, c := range d.Conversations {
		ic := insights.Conversation{ID: c.ID, Title: c.Title, Summary: c.Summary}
		for _, msg := range c.Messages {
			ic.Messages = append(ic.Messages, insights.Message{ID: msg.ID, Role: msg.Role, Content: msg.Content, At: msg.CreatedAt})
		}
		out.Conversations = append(out.Conversations, ic)
	}
	for _, f := range d.Feedback {
		out.Feedback = append(out.Feedback, insights.Feedback{MessageID: f.MessageID, ConversationID: f.ConversationID,
			Rating: f.Rating, Reason: f.Reason, Reply: f.Reply, Prompt: f.Prompt, At: f.At})
	}
	return out, nil
}

// insightsAccounts gives timezones and standing from auth.
type insightsAccounts struct{ m *Main }

func (a insightsAccounts) Location(ctx context.Context, userID string) (*time.Location, error) {
	return a.m.Auth.UserLocation(ctx, userID)
}

// Active is true for an active account (not suspended, not deleted).
func (a insightsAccounts) Active(ctx context.Context, userID string) (bool, error) {
	u, err := a.m.Auth.UserByID(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return u.Standing() == "active", nil
}

// insightsLedger records review calls as background usage labelled "nightly review".
type insightsLedger struct{ u *usagesvc.Service }

func (l insightsLedger) RecordReview(ctx context.Context, c insights.UsageCall) (int64, error) {
	call := usagesvc.BackgroundCall{UserID: c.UserID, Purpose: usagesvc.PurposeNightlyReview, Provider: c.Provider, Model: c.Model,
		Input: c.Input, Output: c.Output, CacheRead: c.CacheRead, CacheWrite: c.CacheWrite, Batch: c.Batch, Day: c.Day, At: c.At}
	if err := l.u.RecordBackground(ctx, call); err != nil {
		return 0, err
	}
	return l.u.BackgroundCost(call), nil
}

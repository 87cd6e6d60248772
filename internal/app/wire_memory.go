package app

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/memory"
	"myally.app/ally/internal/ratelimit"
	usagesvc "myally.app/ally/internal/usage" // app has its own usage (the CLI help)
)

// wireUsage builds plans, limits and usage accounting from ALLY_PLANS and
// ALLY_MODEL_PRICES and registers the usage API.
func (m *Main) wireUsage(ctx context.Context) error {
	plans, err := usagesvc.ParsePlans(m.Config.Plans)
	if err != nil {
		return fmt.Errorf("ALLY_PLANS: %w", err)
	}
	prices, err := usagesvc.ParsePrices(m.Config.ModelPrices)
	if err != nil {
		return fmt.Errorf("ALLY_MODEL_PRICES: %w", err)
	}
	m.Usage = usagesvc.NewService(m.DB, plans, prices, time.Now)
	m.Usage.Logger = m.Logger
	m.Usage.Timezones = m.Auth
	m.Usage.Routes(m.Mux, m.Auth.Require)
	return nil
}

// wireMemory builds the memory files, with quotas from each user's plan, and registers
// the memory API.
func (m *Main) wireMemory(ctx context.Context) error {
	m.Memory = memory.NewService(m.DB, time.Now)
	m.Memory.LimitsFor = func(ctx context.Context, userID string) (memory.Limits, error) {
		p, err := m.Usage.PlanFor(ctx, userID)
		if err != nil {
			return memory.Limits{}, err
		}
		// usagesvc.Unlimited is negative, which memory reads as no limit too.
		return memory.Limits{MaxFileBytes: p.Limits.MemoryFileBytes, MaxTotalBytes: p.Limits.MemoryTotalBytes}, nil
	}
	// Every change through the API keeps a version: a generous rate keeps a runaway
	// client from filling the database with them.
	limiter := ratelimit.New(m.DB, m.JWTSecret)
	rule := ratelimit.Rule{Name: "memory_write", Max: 120, Window: time.Minute}
	m.Memory.AllowWrite = func(ctx context.Context, userID string) error { return limiter.Allow(ctx, rule, userID) }
	m.Memory.Routes(m.Mux, m.Auth.Require)
	return nil
}

package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// GrowthResult is the cost of a turn in a conversation with a given number of earlier
// messages: what the server spends and what is sent to the model.
type GrowthResult struct {
	Database        string  `json:"database"`
	EarlierMessages int     `json:"earlier_messages"`
	Turns           int     `json:"turns"`
	Errors          int     `json:"errors"`
	TurnMillis      float64 `json:"turn_ms"`
	CPUMillis       float64 `json:"server_cpu_ms_per_turn"`
	RowsPerTurn     float64 `json:"db_rows_written_per_turn"`
	InputTokens     float64 `json:"input_tokens_per_turn"`
	SeedSeconds     float64 `json:"seed_seconds"`
	FirstTurnTokens int64   `json:"first_turn_input_tokens"`
}

// runGrowth measures turn cost at each history length on a separate Ally instance whose
// fake model answers at once (so thousands of earlier turns can be built through the real
// API in seconds).
func runGrowth(ctx context.Context, cfg Config, dbName, allyBin, fakeBin, work string, env []string, stats *statsKeeper, logf func(string, ...any)) ([]GrowthResult, error) {
	fakeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	fast := cfg
	fast.FirstToken, fast.TokensPerSec, fast.ReplyWords = 0, 0, 20
	fake, err := start(ctx, fakeBin, fakeArgs(fakeAddr, fast), nil, "http://"+fakeAddr, "/", filepath.Join(work, "fakellm-growth.log"))
	if err != nil {
		return nil, err
	}
	defer fake.stop()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	genv := append([]string{}, env...)
	genv = append(genv, "ALLY_ADDR="+addr, "ALLY_DATA_DIR="+filepath.Join(work, "growth-"+dbName), "ANTHROPIC_BASE_URL="+fake.URL)
	ally, err := start(ctx, allyBin, []string{"serve"}, genv, "http://"+addr, "/readyz", filepath.Join(work, "ally-growth-"+dbName+".log"))
	if err != nil {
		return nil, err
	}
	defer ally.stop()

	var out []GrowthResult
	for i, earlier := range cfg.Histories {
		u := &user{http: newClient(2000 + i), base: ally.URL}
		if err := u.signIn(ctx, 100000+i, dbName+"-growth"); err != nil {
			return nil, err
		}
		r := GrowthResult{Database: dbName, EarlierMessages: earlier, Turns: cfg.GrowthTurns}
		logf("%s: building a conversation with %d earlier messages", dbName, earlier)
		t0 := time.Now()
		for k := 0; k < earlier/2; k++ {
			if t := u.send(ctx, fmt.Sprintf("Earlier message %d: here is something about my day.", k), nil); t.err != nil {
				return nil, fmt.Errorf("seeding: %w", t.err)
			}
			if k%100 == 99 {
				if err := stats.analyze(ctx); err != nil {
					return nil, err
				}
			}
		}
		if err := stats.analyze(ctx); err != nil {
			return nil, err
		}
		r.SeedSeconds = time.Since(t0).Seconds()
		before, err := u.totals(ctx)
		if err != nil {
			return nil, err
		}
		cpu0 := ally.cpuSeconds()
		rows0, _ := metric(ally.URL, "ally_db_rows_written")
		var total time.Duration
		for k := range cfg.GrowthTurns {
			t := u.send(ctx, fmt.Sprintf("Measured message %d.", k), nil)
			if t.err != nil {
				r.Errors++
				continue
			}
			total += t.total
			if k == 0 {
				after, _ := u.totals(ctx)
				r.FirstTurnTokens = after.InputTokens - before.InputTokens
			}
		}
		time.Sleep(1500 * time.Millisecond) // PostgreSQL's statistics lag
		after, err := u.totals(ctx)
		if err != nil {
			return nil, err
		}
		rows1, _ := metric(ally.URL, "ally_db_rows_written")
		if done := float64(cfg.GrowthTurns - r.Errors); done > 0 {
			r.TurnMillis = float64(total.Microseconds()) / 1000 / done
			r.CPUMillis = (ally.cpuSeconds() - cpu0) * 1000 / done
			r.RowsPerTurn = (rows1 - rows0) / done
			r.InputTokens = float64(after.InputTokens-before.InputTokens) / done
		}
		out = append(out, r)
	}
	return out, nil
}

type tokenTotals struct {
	InputTokens int64 `json:"input_tokens"`
}

// totals reads the conversation's token totals.
func (u *user) totals(ctx context.Context) (tokenTotals, error) {
	var conv struct {
		Usage tokenTotals `json:"usage"`
	}
	err := u.do(ctx, "GET", "/api/v1/conversations/"+u.conv, nil, &conv)
	return conv.Usage, err
}

package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Write saves the results as results.json and results.md in dir and returns the markdown.
func Write(dir string, r *Results) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		return "", err
	}
	md := Markdown(r)
	return md, os.WriteFile(filepath.Join(dir, "results.md"), []byte(md), 0o644)
}

// Markdown renders the results as tables.
func Markdown(r *Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s on %s.\n\n", r.StartedAt.Format("2006-01-02 15:04 UTC"), r.Machine)
	fmt.Fprintf(&b, "Fake model: first token after %v, %v tokens/s, %v words per reply; %v turns per user per level.\n\n",
		r.Config["first_token"], r.Config["tokens_per_second"], r.Config["reply_words"], r.Config["turns_per_user"])
	b.WriteString("| database | streams | turns | errors | TTFT direct p50/p99 (ms) | TTFT via Ally p50/p99/max (ms) | added p50/p99/max (ms) | tokens/s per stream | turns/s | CPU ms/turn | RSS/stream (KiB) | write tx/turn | rows/turn |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, l := range r.Levels {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.1f / %.1f | %.1f / %.1f / %.1f | %.2f / %.2f / %.2f | %.1f | %.1f | %.2f | %.1f | %.1f | %.1f |\n",
			l.Database, l.Streams, l.Turns, l.Errors,
			l.DirectFirstToken.P50, l.DirectFirstToken.P99,
			l.AllyFirstToken.P50, l.AllyFirstToken.P99, l.AllyFirstToken.Max,
			l.AddedFirstToken.P50, l.AddedFirstToken.P99, l.AddedFirstToken.Max,
			l.TokensPerSecond, l.TurnsPerSecond, l.CPUSecondsPerTurn*1000, l.RSSPerStreamKiB, l.WriteTxPerTurn, l.RowsPerTurn)
	}
	b.WriteString("\nAgainst the fake in the same run (issue targets: added TTFT, replies/s vs direct, server CPU per reply, RSS per open stream):\n\n")
	b.WriteString("| database | streams | added TTFT p50 / p99 (ms) | replies/s direct | replies/s via Ally | vs direct | server CPU ms/reply | server cores | RSS/stream (KiB) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, l := range r.Levels {
		fmt.Fprintf(&b, "| %s | %d | %+.2f / %+.2f | %.1f | %.1f | %.0f %% | %.2f | %.2f | %.1f |\n",
			l.Database, l.Streams, l.AddedFirstToken.P50, l.AddedFirstToken.P99,
			l.DirectRepliesPerSecond, l.TurnsPerSecond, 100*l.RepliesRatio, l.CPUSecondsPerTurn*1000, l.ServerCores, l.RSSPerStreamKiB)
	}
	b.WriteString("\nWhere the machine's CPU went (all cores busy, per reply through Ally; the load generator and the fake share the machine):\n\n")
	b.WriteString("| database | streams | machine busy cores, direct / via Ally | machine CPU ms/reply | server CPU ms/reply | PostgreSQL CPU ms/reply |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, l := range r.Levels {
		pg := "in process"
		if l.Database == "postgres" {
			pg = fmt.Sprintf("%.2f", l.DatabaseCPUSecondsPerTurn*1000)
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f / %.2f | %.2f | %.2f | %s |\n", l.Database, l.Streams,
			l.MachineCoresDirect, l.MachineCores, l.MachineCPUSecondsPerTurn*1000, l.CPUSecondsPerTurn*1000, pg)
	}
	for _, l := range r.Levels {
		if len(l.PostgresBackends) > 0 {
			fmt.Fprintf(&b, "\nPostgreSQL backends of the server at %d streams (average busy backends, sampled every 50 ms): %s\n", l.Streams, formatWaits(l.PostgresBackends, 6))
		}
	}
	if len(r.Idle) > 0 {
		b.WriteString("\n| database | idle for (s) | server CPU (s) | % of a core |\n|---|---:|---:|---:|\n")
		for _, i := range r.Idle {
			fmt.Fprintf(&b, "| %s | %.1f | %.3f | %.2f %% |\n", i.Database, i.Seconds, i.CPUSeconds, i.PercentOfACore)
		}
	}
	for _, l := range r.Levels {
		if l.FirstError != "" {
			fmt.Fprintf(&b, "\nFirst error (%s, %d streams): `%s`\n", l.Database, l.Streams, l.FirstError)
		}
	}
	if len(r.Exports) > 0 {
		b.WriteString("\n| database | export messages | bytes | seconds | MB/s | messages/s |\n|---|---:|---:|---:|---:|---:|\n")
		for _, e := range r.Exports {
			if e.Error != "" {
				fmt.Fprintf(&b, "| %s | %d | error: %s | | | |\n", e.Database, e.Messages, e.Error)
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %.3f | %.1f | %.0f |\n", e.Database, e.Messages, e.Bytes, e.Seconds, e.MBPerSec, e.MsgsPerSec)
		}
	}
	if len(r.Growth) > 0 {
		b.WriteString("\nTurn cost by conversation length (fake model answering at once; means over the measured turns):\n\n")
		b.WriteString("| database | earlier messages | turns | errors | turn (ms) | server CPU (ms/turn) | rows written/turn | input tokens/turn | first turn input tokens | built in (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, g := range r.Growth {
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %.1f | %.2f | %.1f | %.0f | %d | %.1f |\n", g.Database, g.EarlierMessages, g.Turns, g.Errors,
				g.TurnMillis, g.CPUMillis, g.RowsPerTurn, g.InputTokens, g.FirstTurnTokens, g.SeedSeconds)
		}
	}
	return b.String()
}

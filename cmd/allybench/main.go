// Command allybench is Ally's load benchmark (`make bench`, `make bench-smoke`): it starts
// the fake model server and `ally serve`, then measures streaming overhead, concurrency,
// memory and database writes on SQLite and PostgreSQL. See docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"myally.app/ally/internal/bench"
)

func main() {
	dbs := flag.String("db", "sqlite,postgres", "databases to run on (comma-separated: sqlite, postgres)")
	levels := flag.String("levels", "1,100,1000", "concurrent streams to measure (comma-separated)")
	turns := flag.Int("turns", 3, "messages each user sends per level, one after another")
	firstToken := flag.Duration("first-token", 20*time.Millisecond, "fake model's time to first token")
	tps := flag.Int("tokens-per-second", 200, "fake model's tokens per second")
	words := flag.Int("reply-words", 50, "fake model's reply length in words")
	histories := flag.String("histories", "10,10000", "conversation lengths (earlier messages) whose turn cost is compared; empty to skip")
	growthTurns := flag.Int("growth-turns", 20, "turns measured at each conversation length")
	pg := flag.String("postgres", os.Getenv("ALLY_TEST_POSTGRES_URL"), "PostgreSQL server URL for the postgres run")
	profile := flag.Bool("profile", false, "save a CPU profile of the server during the largest level (cpu-<db>.pprof in -out)")
	profileAt := flag.Int("profile-at", 0, "with -profile, the level to profile (default the largest)")
	reps := flag.Int("repetitions", 2, "runs of each level, direct to the fake and through Ally alternately")
	idle := flag.Duration("idle", 30*time.Second, "how long the server's CPU is read with no traffic (0 to skip)")
	allyBin := flag.String("ally-bin", "", "a prebuilt ally binary to measure instead of building ./cmd/ally")
	out := flag.String("out", "bench/results", "folder for results.json and results.md")
	flag.Parse()

	cfg := bench.Config{
		Databases: split(*dbs), TurnsPerUser: *turns, FirstToken: *firstToken, TokensPerSec: *tps,
		ReplyWords: *words, PostgresURL: *pg, OutDir: *out, GrowthTurns: *growthTurns, Profile: *profile,
		Repetitions: *reps, ProfileAt: *profileAt, IdleFor: *idle, AllyBin: *allyBin,
		Logf: func(f string, a ...any) { log.Printf(f, a...) },
	}
	for _, l := range split(*levels) {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			log.Fatalf("bad level %q", l)
		}
		cfg.Levels = append(cfg.Levels, n)
	}
	for _, h := range split(*histories) {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 {
			log.Fatalf("bad history length %q", h)
		}
		cfg.Histories = append(cfg.Histories, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := bench.Run(ctx, cfg)
	if res != nil {
		md, werr := bench.Write(*out, res)
		if werr != nil {
			log.Print(werr)
		}
		fmt.Print(md)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

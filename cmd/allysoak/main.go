// Command allysoak is Ally's fault soak (`make soak`, docs/benchmarks.md): N users chat
// for a while through the fake model server with a share of its replies broken the ways
// providers break (529, 500, 429 with Retry-After, errors and dropped connections
// mid-stream, slow first tokens), with memory tool loops, stops and re-attaches, and one
// kill -9 of a server and its restart mid-run; on SQLite one instance, on PostgreSQL two
// behind a round-robin proxy. It then checks the end state in the database and prints
// the invariants; it exits 1 if any fails.
//
//	go run ./cmd/allysoak -db sqlite,postgres -users 20 -duration 2m -postgres "$ALLY_TEST_POSTGRES_URL"
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"myally.app/ally/internal/bench"
)

func main() {
	dbs := flag.String("db", "sqlite", "databases to soak, comma-separated: sqlite, postgres")
	users := flag.Int("users", 20, "users chatting at once")
	duration := flag.Duration("duration", 2*time.Minute, "how long the users chat")
	rate := flag.Float64("fault-rate", 0.2, "fraction of model replies that fail")
	tokens := flag.Int64("tokens-per-day", 300000, "the plan's daily token limit, which the busiest users reach")
	pg := flag.String("postgres", os.Getenv("ALLY_TEST_POSTGRES_URL"), "PostgreSQL URL (a fresh schema is used and dropped)")
	seed := flag.Uint64("seed", 1, "seed of the users' choices and of the fault draw")
	out := flag.String("out", "", "directory to write soak-<db>.json to (optional)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	failed := false
	for _, name := range strings.Split(*dbs, ",") {
		name = strings.TrimSpace(name)
		if name != "sqlite" && name != "postgres" {
			fmt.Fprintf(os.Stderr, "allysoak: unknown database %q\n", name)
			os.Exit(2)
		}
		res, err := bench.Soak(ctx, bench.SoakConfig{Database: name, Users: *users, Duration: *duration, FaultRate: *rate,
			TokensLimit: *tokens, PostgresURL: *pg, Seed: *seed, Logf: logf})
		if err != nil {
			fmt.Fprintf(os.Stderr, "allysoak: %s: %v\n", name, err)
			os.Exit(1)
		}
		res.Print(os.Stdout)
		failed = failed || res.Failed()
		if *out != "" {
			_ = os.MkdirAll(*out, 0o755)
			b, _ := json.MarshalIndent(res, "", "  ")
			_ = os.WriteFile(filepath.Join(*out, "soak-"+name+".json"), b, 0o644)
		}
	}
	if failed {
		fmt.Println("\nsoak: an invariant failed")
		os.Exit(1)
	}
	fmt.Println("\nsoak: every invariant holds")
}

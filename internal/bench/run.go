// Package bench is Ally's end-to-end load benchmark: it starts the fake model server and a
// real `ally serve`, signs users in, holds many conversations open at once and measures
// what Ally adds on top of the model: time to first token, tokens per second, CPU, memory
// per open stream and database writes per turn, on SQLite and PostgreSQL.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config shapes a benchmark run.
type Config struct {
	Databases    []string // "sqlite", "postgres"
	Levels       []int    // concurrent streams
	TurnsPerUser int      // messages each user sends per level, one after another
	FirstToken   time.Duration
	TokensPerSec int
	ReplyWords   int
	// Histories are the conversation lengths (earlier messages) whose turn cost is compared.
	Histories   []int
	GrowthTurns int
	PostgresURL string
	OutDir      string
	// Profile captures a CPU profile of the server during the largest level (or the
	// level ProfileAt).
	Profile   bool
	ProfileAt int
	// Repetitions is how many times each level runs, direct to the fake and through Ally
	// alternately (default 1).
	Repetitions int
	// IdleFor is how long the server's CPU is read with no traffic (0: skipped).
	IdleFor time.Duration
	// AllyBin, if set, is a prebuilt ally binary to measure instead of building one.
	AllyBin string
	Logf    func(format string, args ...any)
}

// Percentiles summarise a distribution, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// LevelResult is the measurement of one database at one concurrency level.
type LevelResult struct {
	Database          string      `json:"database"`
	Streams           int         `json:"streams"`
	Turns             int         `json:"turns"`
	Errors            int         `json:"errors"`
	FirstError        string      `json:"first_error,omitempty"`
	DirectFirstToken  Percentiles `json:"direct_first_token"`
	AllyFirstToken    Percentiles `json:"ally_first_token"`
	AddedFirstToken   Percentiles `json:"added_first_token"`
	TokensPerSecond   float64     `json:"tokens_per_second_per_stream"`
	TurnsPerSecond    float64     `json:"turns_per_second"`
	CPUSecondsPerTurn float64     `json:"server_cpu_seconds_per_turn"`
	IdleRSSMiB        float64     `json:"idle_rss_mib"`
	RSSPerStreamKiB   float64     `json:"rss_per_open_stream_kib"`
	WriteTxPerTurn    float64     `json:"db_write_transactions_per_turn"`
	RowsPerTurn       float64     `json:"db_rows_written_per_turn"`
	// DirectRepliesPerSecond is the fake's own throughput at this concurrency, and
	// RepliesRatio Ally's replies/s over it, both from the same run.
	DirectRepliesPerSecond float64 `json:"direct_replies_per_second"`
	RepliesRatio           float64 `json:"replies_ratio_vs_direct"`
	// ServerCores is the server's CPU time over the wall time of the Ally runs.
	ServerCores float64 `json:"server_cores"`
	// DatabaseCPUSecondsPerTurn is the CPU time of the machine's PostgreSQL processes per
	// completed turn during the Ally runs (PostgreSQL only; 0 when it runs elsewhere).
	DatabaseCPUSecondsPerTurn float64 `json:"database_cpu_seconds_per_turn"`
	// MachineCPUSecondsPerTurn is the busy time of all the machine's cores per completed
	// turn during the Ally runs (Ally, the database, the fake and the load generator).
	MachineCPUSecondsPerTurn float64 `json:"machine_cpu_seconds_per_turn"`
	// MachineCores and MachineCoresDirect are the machine's busy cores during the runs
	// through Ally and the direct runs: near the core count, the machine is the bound.
	MachineCores       float64 `json:"machine_cores"`
	MachineCoresDirect float64 `json:"machine_cores_direct"`
	// PostgresBackends is what the server's PostgreSQL backends were doing during the
	// Ally runs (average busy backends by wait event; PostgreSQL only).
	PostgresBackends []WaitShare `json:"postgres_backends,omitempty"`
}

// IdleResult is the server's CPU use with no traffic.
type IdleResult struct {
	Database       string  `json:"database"`
	Seconds        float64 `json:"seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	PercentOfACore float64 `json:"percent_of_a_core"`
}

// ExportResult measures one account export.
type ExportResult struct {
	Database   string  `json:"database"`
	Messages   int     `json:"messages"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	MBPerSec   float64 `json:"mb_per_second"`
	MsgsPerSec float64 `json:"messages_per_second"`
	Error      string  `json:"error,omitempty"`
}

// Results is everything one run measured.
type Results struct {
	StartedAt time.Time      `json:"started_at"`
	Machine   string         `json:"machine"`
	Config    map[string]any `json:"config"`
	Levels    []LevelResult  `json:"levels"`
	Exports   []ExportResult `json:"exports"`
	Growth    []GrowthResult `json:"growth"`
	Idle      []IdleResult   `json:"idle"`
}

// Run executes the benchmark.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	work, err := os.MkdirTemp("", "ally-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	logf("building ally and fakellm")
	allyBin, fakeBin, err := buildBinaries(ctx, work)
	if err != nil {
		return nil, err
	}
	if cfg.AllyBin != "" {
		allyBin = cfg.AllyBin
	}
	fakeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	fake, err := start(ctx, fakeBin, fakeArgs(fakeAddr, cfg), nil, "http://"+fakeAddr, "/", filepath.Join(work, "fakellm.log"))
	if err != nil {
		return nil, err
	}
	defer fake.stop()

	res := &Results{StartedAt: time.Now().UTC(), Machine: machine(), Config: map[string]any{
		"levels": cfg.Levels, "turns_per_user": cfg.TurnsPerUser, "first_token": cfg.FirstToken.String(),
		"tokens_per_second": cfg.TokensPerSec, "reply_words": cfg.ReplyWords,
		"histories": cfg.Histories, "growth_turns": cfg.GrowthTurns,
		"repetitions": max(1, cfg.Repetitions), "idle": cfg.IdleFor.String(),
	}}
	for _, dbName := range cfg.Databases {
		levels, export, growth, idle, err := runDatabase(ctx, cfg, dbName, allyBin, fakeBin, fake.URL, work, logf)
		if err != nil {
			return res, fmt.Errorf("%s: %w", dbName, err)
		}
		if idle != nil {
			res.Idle = append(res.Idle, *idle)
		}
		res.Levels = append(res.Levels, levels...)
		res.Exports = append(res.Exports, export)
		res.Growth = append(res.Growth, growth...)
	}
	return res, nil
}

func fakeArgs(addr string, cfg Config) []string {
	return []string{"-addr", addr,
		"-ttft", cfg.FirstToken.String(),
		"-tps", fmt.Sprint(cfg.TokensPerSec),
		"-words", fmt.Sprint(cfg.ReplyWords)}
}

func runDatabase(ctx context.Context, cfg Config, dbName, allyBin, fakeBin, fakeURL, work string, logf func(string, ...any)) (_ []LevelResult, _ ExportResult, _ []GrowthResult, _ *IdleResult, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, ExportResult{}, nil, nil, err
	}
	maxLevel := 0
	for _, l := range cfg.Levels {
		maxLevel = max(maxLevel, l)
	}
	env := []string{
		"ALLY_LOG_LEVEL=warn",
		"ALLY_JWT_SECRET=bench-secret-bench-secret-bench-secret-0",
		"ALLY_BCRYPT_COST=4", "ALLY_REQUIRE_VERIFIED_EMAIL=false",
		"ANTHROPIC_API_KEY=bench", "ANTHROPIC_BASE_URL=" + fakeURL,
		"OPENAI_API_KEY=", "GEMINI_API_KEY=",
		// Every benchmark user gets a plan roomy enough for the run.
		`ALLY_PLANS=[{"id":"free","name":"Bench","limits":{"tokens_per_day":100000000,"messages_per_day":100000,"memory_file_bytes":65536,"memory_total_bytes":1048576,"fallback_per_day":100,"active_tasks":5}}]`,
	}
	var stats *statsKeeper // nil on SQLite, and with autovacuum on
	if dbName == "postgres" {
		url, drop, err := benchSchema(ctx, cfg.PostgresURL)
		if err != nil {
			return nil, ExportResult{}, nil, nil, err
		}
		defer drop()
		env = append(env, "ALLY_DATABASE_URL="+url+"&application_name="+pgAppName)
		if stats, err = newStatsKeeper(ctx, url); err != nil {
			return nil, ExportResult{}, nil, nil, err
		}
		if stats != nil {
			logf("postgres: autovacuum is off on this server; the harness analyzes the benchmark's tables after each phase")
		}
	}
	var growth []GrowthResult
	if len(cfg.Histories) > 0 {
		if growth, err = runGrowth(ctx, cfg, dbName, allyBin, fakeBin, work, env, stats, logf); err != nil {
			return nil, ExportResult{}, nil, nil, fmt.Errorf("turn cost by conversation length: %w", err)
		}
	}
	env = append(env, "ALLY_ADDR="+addr, "ALLY_DATA_DIR="+filepath.Join(work, "data-"+dbName))
	debugAddr := ""
	if cfg.Profile {
		if debugAddr, err = freeAddr(); err != nil {
			return nil, ExportResult{}, nil, nil, err
		}
		env = append(env, "ALLY_DEBUG_ADDR="+debugAddr)
	}
	ally, err := start(ctx, allyBin, []string{"serve"}, env, "http://"+addr, "/readyz", filepath.Join(work, "ally-"+dbName+".log"))
	if err != nil {
		return nil, ExportResult{}, nil, nil, err
	}
	defer ally.stop()

	logf("%s: signing in %d users", dbName, maxLevel)
	users := make([]*user, maxLevel)
	if err := parallel(maxLevel, 16, func(i int) error {
		u := &user{http: newClient(i), base: ally.URL}
		users[i] = u
		return u.signIn(ctx, i, dbName)
	}); err != nil {
		return nil, ExportResult{}, nil, nil, fmt.Errorf("sign in: %w", err)
	}
	if err := stats.analyze(ctx); err != nil {
		return nil, ExportResult{}, nil, nil, err
	}
	var idle *IdleResult
	if cfg.IdleFor > 0 {
		logf("%s: %v with no traffic", dbName, cfg.IdleFor)
		idle = measureIdle(ally, dbName, cfg.IdleFor)
	}
	var out []LevelResult
	for _, level := range cfg.Levels {
		logf("%s: %d concurrent streams", dbName, level)
		var profiled chan struct{}
		onLoad := func() {}
		profileAt := maxLevel
		if cfg.ProfileAt > 0 {
			profileAt = cfg.ProfileAt
		}
		if debugAddr != "" && level == profileAt {
			profiled = make(chan struct{})
			onLoad = func() {
				go func() {
					defer close(profiled)
					path := filepath.Join(cfg.OutDir, "cpu-"+dbName+".pprof")
					if err := captureProfile(ctx, "http://"+debugAddr, path); err != nil {
						logf("profile: %v", err)
					} else {
						logf("CPU profile of the server at %d streams: %s", level, path)
					}
				}()
			}
		}
		pgURL := ""
		if dbName == "postgres" {
			pgURL = cfg.PostgresURL
		}
		r := runLevel(ctx, cfg, ally, fakeURL, pgURL, users[:level], onLoad)
		if profiled != nil {
			<-profiled
		}
		if err := stats.analyze(ctx); err != nil {
			return nil, ExportResult{}, nil, nil, err
		}
		r.Database = dbName
		out = append(out, r)
	}
	return out, exportOne(ctx, users[0], dbName, len(cfg.Levels)*cfg.TurnsPerUser*max(1, cfg.Repetitions)*2), growth, idle, nil
}

func exportOne(ctx context.Context, u *user, dbName string, messages int) ExportResult {
	r := ExportResult{Database: dbName, Messages: messages}
	req, _ := http.NewRequestWithContext(ctx, "GET", u.base+"/api/v1/me/export", nil)
	req.Header.Set("Authorization", "Bearer "+u.token)
	t0 := time.Now()
	res, err := u.http.Do(req)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		r.Error = fmt.Sprintf("status %d", res.StatusCode)
		return r
	}
	n, _ := io.Copy(io.Discard, res.Body)
	r.Seconds = time.Since(t0).Seconds()
	r.Bytes = n
	if r.Seconds > 0 {
		r.MBPerSec = float64(n) / (1 << 20) / r.Seconds
		r.MsgsPerSec = float64(messages) / r.Seconds
	}
	return r
}

// benchSchema creates a fresh PostgreSQL schema and returns a URL that uses it.
func benchSchema(ctx context.Context, url string) (string, func(), error) {
	if url == "" {
		return "", nil, fmt.Errorf("set ALLY_TEST_POSTGRES_URL (or -postgres) to benchmark PostgreSQL")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	drop := func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema, drop, nil
}

// parallel runs fn(0..n-1) with at most width at once and returns the first error.
func parallel(n, width int, fn func(i int) error) error {
	sem := make(chan struct{}, max(1, width))
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(i); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return first
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		i := int(q * float64(len(ds)-1))
		return float64(ds[i].Microseconds()) / 1000
	}
	return Percentiles{P50: at(0.5), P99: at(0.99), Max: at(1)}
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d cores, %s, %s/%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// SoakConfig shapes a fault soak (`make soak`, docs/benchmarks.md).
type SoakConfig struct {
	Database    string // "sqlite" (one instance) or "postgres" (two behind a round-robin proxy)
	Users       int
	Duration    time.Duration
	FaultRate   float64
	TokensLimit int64 // the plan's tokens_per_day, so some users reach it
	PostgresURL string
	Seed        uint64
	Logf        func(format string, args ...any)
}

// SoakResult is what one soak did and found.
type SoakResult struct {
	Database       string           `json:"database"`
	Instances      int              `json:"instances"`
	Served         []int64          `json:"requests_served_per_instance"`
	Users          int              `json:"users"`
	Seconds        float64          `json:"seconds"`
	Sends          int              `json:"sends"`
	Accepted       int              `json:"accepted"`
	Refused409     int              `json:"refused_conflict"`
	Refused429     int              `json:"refused_quota"`
	NoAnswer       int              `json:"sends_without_answer"`
	Actions        map[string]int   `json:"actions"`
	Reattaches     int              `json:"reattaches"`
	ModelRequests  int64            `json:"model_requests"`
	Faults         map[string]int64 `json:"faults_injected"`
	ReplyStatuses  map[string]int   `json:"reply_statuses"`
	KilledAt       float64          `json:"killed_at_seconds"`
	RestartSeconds float64          `json:"restart_seconds"`
	Invariants     []Invariant      `json:"invariants"`
}

// Invariant is one check of the end state.
type Invariant struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Failed reports whether any invariant failed.
func (r *SoakResult) Failed() bool {
	for _, inv := range r.Invariants {
		if !inv.OK {
			return true
		}
	}
	return false
}

const soakFlush = 500 * time.Millisecond

// Soak runs one fault soak on one database.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	work, err := os.MkdirTemp("", "ally-soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	logf("%s: building ally and fakellm", cfg.Database)
	allyBin, fakeBin, err := buildBinaries(ctx, work)
	if err != nil {
		return nil, err
	}
	fakeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	const tps = 40
	fake, err := start(ctx, fakeBin, []string{"-addr", fakeAddr, "-ttft", "100ms", "-tps", fmt.Sprint(tps), "-words", "30",
		"-fault-rate", fmt.Sprint(cfg.FaultRate), "-slow-first", "2s", "-fault-seed", fmt.Sprint(cfg.Seed)},
		nil, "http://"+fakeAddr, "/fakellm/faults", filepath.Join(work, "fakellm.log"))
	if err != nil {
		return nil, err
	}
	defer fake.stop()

	env := []string{
		"ALLY_LOG_LEVEL=warn",
		"ALLY_JWT_SECRET=soak-secret-soak-secret-soak-secret-0123",
		"ALLY_BCRYPT_COST=4", "ALLY_REQUIRE_VERIFIED_EMAIL=false",
		"ALLY_TRUSTED_PROXIES=127.0.0.0/8", "ALLY_SIGNUPS_PER_IP_PER_DAY=1000",
		"ALLY_CHAT_FLUSH_INTERVAL=" + soakFlush.String(), "ALLY_CHAT_FOLLOW_INTERVAL=100ms",
		"ANTHROPIC_API_KEY=soak", "ANTHROPIC_BASE_URL=" + fake.URL,
		"OPENAI_API_KEY=", "GEMINI_API_KEY=",
		fmt.Sprintf(`ALLY_PLANS=[{"id":"free","name":"Soak","limits":{"tokens_per_day":%d,"messages_per_day":100000,"memory_file_bytes":65536,"memory_total_bytes":1048576,"fallback_per_day":100,"active_tasks":5}}]`, cfg.TokensLimit),
	}
	instances := 1
	var checkDB func() (*soakDB, error)
	if cfg.Database == "postgres" {
		instances = 2
		url, drop, err := benchSchema(ctx, cfg.PostgresURL)
		if err != nil {
			return nil, err
		}
		defer drop()
		env = append(env, "ALLY_DATABASE_URL="+url)
		checkDB = func() (*soakDB, error) { return openSoakDB(ctx, url, "") }
	} else {
		path := filepath.Join(work, "data-0", "ally.db")
		checkDB = func() (*soakDB, error) { return openSoakDB(ctx, "", path) }
	}
	procs := make([]*proc, instances)
	envs := make([][]string, instances)
	urls := make([]string, instances)
	for i := range instances {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		envs[i] = append(append([]string(nil), env...), "ALLY_ADDR="+addr, "ALLY_DATA_DIR="+filepath.Join(work, fmt.Sprintf("data-%d", i)))
		urls[i] = "http://" + addr
		if procs[i], err = start(ctx, allyBin, []string{"serve"}, envs[i], urls[i], "/readyz", filepath.Join(work, fmt.Sprintf("ally-%d.log", i))); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, p := range procs {
			if p != nil {
				p.stop()
			}
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rr := newRoundRobin(urls...)
	proxy := &http.Server{Handler: rr, ReadHeaderTimeout: 10 * time.Second}
	go proxy.Serve(ln)
	defer proxy.Close()
	base := "http://" + ln.Addr().String()

	logf("%s: signing in %d users (%d instance(s) behind the proxy at %s)", cfg.Database, cfg.Users, instances, base)
	users := make([]*user, cfg.Users)
	if err := parallel(cfg.Users, 8, func(i int) error {
		users[i] = &user{http: newClient(i), base: base}
		return users[i].signIn(ctx, i, "soak-"+cfg.Database)
	}); err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}

	res := &SoakResult{Database: cfg.Database, Instances: instances, Users: cfg.Users,
		Actions: map[string]int{}, ReplyStatuses: map[string]int{}}
	t0 := time.Now()
	until := t0.Add(cfg.Duration)
	// One kill -9 of the (first) instance at 40 % of the run, restarted a second later.
	killed := make(chan error, 1)
	go func() {
		pause(ctx, cfg.Duration*4/10)
		res.KilledAt = time.Since(t0).Seconds()
		logf("%s: kill -9 of instance 0 at %.0fs", cfg.Database, res.KilledAt)
		_ = procs[0].cmd.Process.Kill()
		_ = procs[0].cmd.Wait()
		procs[0].logs.Close()
		pause(ctx, time.Second)
		r0 := time.Now()
		p, err := start(ctx, allyBin, []string{"serve"}, envs[0], urls[0], "/readyz", filepath.Join(work, "ally-0-restarted.log"))
		procs[0] = p
		res.RestartSeconds = time.Since(r0).Seconds()
		logf("%s: instance 0 restarted in %.1fs", cfg.Database, res.RestartSeconds)
		killed <- err
	}()
	outcomes := make([]*soakOutcome, cfg.Users)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = soakUser(ctx, u, i, until, rand.New(rand.NewPCG(cfg.Seed, uint64(i))))
		}()
	}
	wg.Wait()
	if err := <-killed; err != nil {
		return nil, fmt.Errorf("restart after kill -9: %w", err)
	}
	res.Seconds = time.Since(t0).Seconds()
	logf("%s: load done after %.0fs; letting replies settle", cfg.Database, res.Seconds)
	for _, u := range users {
		u.settle(ctx)
	}
	for i := range rr.served {
		res.Served = append(res.Served, rr.served[i].Load())
	}
	if err := readFaults(fake.URL, res); err != nil {
		return nil, err
	}
	d, err := checkDB()
	if err != nil {
		return nil, err
	}
	defer d.Close()
	for _, o := range outcomes {
		res.Sends += len(o.Replies) + len(o.Refused) + len(o.Unknown)
		res.Accepted += len(o.Replies)
		res.Refused409 += o.Conflicts
		res.Refused429 += o.Quota
		res.NoAnswer += len(o.Unknown)
		for _, r := range o.Replies {
			res.Actions[r.Action]++
			res.Reattaches += r.Reattached
		}
	}
	words := int(float64(tps)*soakFlush.Seconds()) + 2
	res.Invariants, err = d.check(ctx, outcomes, cfg.TokensLimit, words*16, res.ReplyStatuses)
	return res, err
}

func readFaults(fakeURL string, res *SoakResult) error {
	r, err := http.Get(fakeURL + "/fakellm/faults")
	if err != nil {
		return err
	}
	defer r.Body.Close()
	var v struct {
		Replies int64            `json:"replies"`
		Faults  map[string]int64 `json:"faults"`
	}
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		return err
	}
	res.ModelRequests, res.Faults = v.Replies, v.Faults
	return nil
}

// Print writes the result as the soak's report.
func (r *SoakResult) Print(w interface{ Write([]byte) (int, error) }) {
	var faults int64
	for _, n := range r.Faults {
		faults += n
	}
	fmt.Fprintf(w, "\n== soak on %s (%d instance(s)), %d users, %.0fs, kill -9 at %.0fs, restart %.1fs\n",
		r.Database, r.Instances, r.Users, r.Seconds, r.KilledAt, r.RestartSeconds)
	fmt.Fprintf(w, "requests served per instance %v\n", r.Served)
	fmt.Fprintf(w, "sends %d: accepted %d, refused 409 %d, refused 429 %d, no answer %d; re-attaches %d\n",
		r.Sends, r.Accepted, r.Refused409, r.Refused429, r.NoAnswer, r.Reattaches)
	fmt.Fprintf(w, "actions %v\n", r.Actions)
	fmt.Fprintf(w, "model requests %d, faults injected %d (%.1f %%): %v\n", r.ModelRequests, faults, 100*float64(faults)/float64(max(1, r.ModelRequests)), r.Faults)
	fmt.Fprintf(w, "replies by status %v\n", r.ReplyStatuses)
	for _, inv := range r.Invariants {
		mark := "ok  "
		if !inv.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %s: %s\n", mark, inv.Name, strings.TrimSpace(inv.Detail))
	}
}

package auth

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"myally.app/ally/internal/config"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/mail"
	"myally.app/ally/internal/ratelimit"
)

// fakeLimiter passes every hit to a real limiter, except for rules named in fail, which
// answer with that error (a broken store). A lenient one counts but never refuses
// (benchmarks).
type fakeLimiter struct {
	real    *ratelimit.Limiter
	fail    map[string]error
	lenient bool
}

func (f *fakeLimiter) Allow(ctx context.Context, r ratelimit.Rule, subject string) error {
	if err, ok := f.fail[r.Name]; ok {
		return err
	}
	err := f.real.Allow(ctx, r, subject)
	if f.lenient && errs.Is(err, errs.RateLimited) {
		return nil
	}
	return err
}

func (f *fakeLimiter) Purge(ctx context.Context) (int64, error) { return f.real.Purge(ctx) }

// recordingQueue inserts jobs into a real, insert-only queue and remembers them, so a test
// runs them itself when it chooses.
type recordingQueue struct {
	q    *jobs.Queue
	mu   sync.Mutex
	args []river.JobArgs
}

func (r *recordingQueue) Insert(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := r.q.Insert(ctx, tx, args, opts)
	if err == nil {
		r.mu.Lock()
		r.args = append(r.args, args)
		r.mu.Unlock()
	}
	return res, err
}

// take returns the jobs inserted since the last call.
func (r *recordingQueue) take() []river.JobArgs {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.args
	r.args = nil
	return out
}

// unit is a service on a real database with no job runner: jobs wait until the test runs
// them.
type unit struct {
	*Service
	d       *db.DB
	limiter *fakeLimiter
	queue   *recordingQueue
}

func newUnit(t testing.TB, d *db.DB) *unit {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"ALLY_JWT_SECRET": "test-secret-test-secret-test-secret-0123", "ALLY_BCRYPT_COST": "4",
			"ALLY_DATA_DIR": t.TempDir()}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rq := &recordingQueue{q: q}
	m, err := mail.New(cfg, d, func() *jobs.Queue { return q }, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := &fakeLimiter{real: ratelimit.New(d, []byte("k")), fail: map[string]error{}}
	s := New(Deps{Config: cfg, DB: d, Secret: []byte(cfg.JWTSecret), Limiter: l, Mail: m,
		Jobs: func() Queue { return rq }})
	return &unit{Service: s, d: d, limiter: l, queue: rq}
}

// do serves one request with a JSON body through the service's routes, from the client
// address remote if given.
func (u *unit) do(method, path, body string, remote ...string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	u.Routes(mux)
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if len(remote) > 0 {
		req.RemoteAddr = remote[0]
	}
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	return w
}

// count returns the number of rows in a table.
func count(t testing.TB, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

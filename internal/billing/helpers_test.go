package billing

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/billing/stripefake"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/usage"
)

const (
	testSecret = "whsec_test_secret"
	proPrice   = "price_pro"
)

// testPlans: free allows one active task, pro five.
var testPlans = usage.Plans{
	{ID: "free", Name: "Free", Limits: usage.Limits{ActiveTasks: 1, TokensPerDay: usage.Unlimited, MessagesPerDay: usage.Unlimited}},
	{ID: "pro", Name: "Pro", StripePrice: proPrice, Limits: usage.Limits{ActiveTasks: 5, TokensPerDay: usage.Unlimited, MessagesPerDay: usage.Unlimited}},
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// planLog records the plan hooks' calls.
type planLog struct {
	mu    sync.Mutex
	plans []string
}

func (l *planLog) hook(ctx context.Context, tx *sql.Tx, userID string, p usage.Plan) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.plans = append(l.plans, p.ID)
	return nil
}

func (l *planLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.plans...)
}

type fixedEmail struct{}

func (fixedEmail) Email(ctx context.Context, userID string) (string, error) {
	return userID + "@example.com", nil
}

// env is one service on a database with the fake Stripe behind it.
type env struct {
	d     *db.DB
	fake  *stripefake.Server
	clock *clock
	svc   *Service
	log   *planLog
}

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	fake := stripefake.New(map[string]int64{proPrice: 900})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	fake.URL = srv.URL
	e := &env{d: d, fake: fake, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, log: &planLog{}}
	e.svc = e.service(d)
	return e
}

// service builds another instance on d (same fake, clock and hook log).
func (e *env) service(d *db.DB) *Service {
	s := New(Deps{DB: d, Plans: testPlans, Accounts: fixedEmail{}, SecretKey: "sk_test_x", WebhookSecret: testSecret,
		APIURL: e.fake.URL, PublicURL: "https://ally.example", Grace: 72 * time.Hour, Now: e.clock.Now})
	s.OnPlanChange(e.log.hook)
	return s
}

// user inserts an account with a Stripe customer and returns its ids.
func (e *env) user(t testing.TB, n int) (uid, customer string) {
	t.Helper()
	uid, customer = fmt.Sprintf("u%d", n), fmt.Sprintf("cus_%d", n)
	ctx := context.Background()
	if err := e.d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, created_at, updated_at) VALUES ($1, $2, 'T', 1, 1)`,
			uid, uid+"@example.com"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO billing_customers (user_id, stripe_customer_id, created_at) VALUES ($1, $2, 1)`,
			uid, customer)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.fake.AddCustomer(customer, uid+"@example.com")
	return uid, customer
}

// post delivers a webhook body with a signature header to the service's handler.
func (e *env) post(s *Service, body []byte, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	rec := httptest.NewRecorder()
	s.handleWebhook(rec, req)
	return rec
}

// deliver signs an event now and posts it, failing unless it is answered 200.
func (e *env) deliver(t *testing.T, s *Service, body []byte) {
	t.Helper()
	rec := e.post(s, body, stripefake.Sign(body, testSecret, time.Now()))
	if rec.Code != http.StatusOK {
		t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *env) plan(t *testing.T, uid string) string {
	t.Helper()
	p, err := e.svc.SubscribedPlan(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) stored(t *testing.T, id string) Subscription {
	t.Helper()
	s, err := scanSub(e.d.R.QueryRowContext(context.Background(), `SELECT `+subColumns+` FROM billing_subscriptions WHERE stripe_subscription_id = $1`, id))
	if err != nil {
		t.Fatalf("stored subscription %s: %v", id, err)
	}
	return s
}

func subEvent(id, typ string, s stripefake.Sub) []byte {
	return stripefake.Event(id, typ, stripefake.SubJSON(s))
}

func invoiceEvent(id, typ, subID string) []byte {
	return stripefake.Event(id, typ, map[string]any{"id": "in_" + id, "object": "invoice",
		"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": subID}}})
}

func checkoutEvent(id, uid, customer, subID string) []byte {
	return stripefake.Event(id, "checkout.session.completed", map[string]any{"id": "cs_" + id, "object": "checkout.session",
		"mode": "subscription", "customer": customer, "client_reference_id": uid, "subscription": subID})
}

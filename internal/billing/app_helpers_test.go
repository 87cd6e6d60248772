package billing_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/billing/stripefake"
	"myally.app/ally/internal/db/dbtest"
)

const (
	webhookSecret = "whsec_app_test"
	proPrice      = "price_pro"
	// plans: free allows one active task, pro three; team has no price (not sold).
	plans = `[{"id":"free","name":"Free","limits":{"active_tasks":1}},
		{"id":"pro","name":"Pro","stripe_price":"price_pro","limits":{"active_tasks":3}},
		{"id":"team","name":"Team","limits":{}}]`
)

// stack is an Ally instance with billing on, talking to a fake Stripe that delivers its
// webhooks back to the instance.
type stack struct {
	*apptest.Server
	fake *stripefake.Server
}

func startStack(t *testing.T, tg dbtest.Target) *stack { return startStackWith(t, tg, plans) }

// startStackWith starts a stack selling the given ALLY_PLANS.
func startStackWith(t *testing.T, tg dbtest.Target, planList string) *stack {
	t.Helper()
	fake := stripefake.New(map[string]int64{proPrice: 1200})
	hs := httptest.NewServer(fake.Handler())
	t.Cleanup(hs.Close)
	fake.URL = hs.URL
	s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
		"ALLY_STRIPE_SECRET_KEY": "sk_test_app", "ALLY_STRIPE_WEBHOOK_SECRET": webhookSecret,
		"ALLY_STRIPE_API_URL": hs.URL, "ALLY_PLANS": planList, "ALLY_PUBLIC_URL": "https://ally.example",
	}})
	fake.SetWebhook(s.URL+"/webhooks/stripe", webhookSecret)
	return &stack{Server: s, fake: fake}
}

// noRedirect does not follow redirects, so a test sees where Stripe's page sends the user.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// subscribe goes through Checkout as a user would: Ally's checkout URL, the (fake)
// hosted page, paying, and the redirect back to Ally.
func (s *stack) subscribe(t *testing.T, token string) {
	t.Helper()
	res := s.Do("POST", "/api/v1/billing/checkout", token, map[string]string{"plan": "pro"})
	if res.Status != http.StatusOK {
		t.Fatalf("checkout: %d %s", res.Status, res.Body)
	}
	var out struct{ URL string }
	res.JSON(t, &out)
	if !strings.HasPrefix(out.URL, s.fake.URL+"/checkout/") {
		t.Fatalf("checkout url %q", out.URL)
	}
	pay, err := noRedirect.Post(out.URL, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	pay.Body.Close()
	if pay.StatusCode != http.StatusSeeOther || pay.Header.Get("Location") != "https://ally.example/settings/billing?checkout=success" {
		t.Fatalf("paying answered %d to %q", pay.StatusCode, pay.Header.Get("Location"))
	}
}

// status reads GET /api/v1/billing.
func (s *stack) status(t *testing.T, token string) billingStatus {
	t.Helper()
	res := s.Do("GET", "/api/v1/billing", token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("billing: %d %s", res.Status, res.Body)
	}
	var st billingStatus
	res.JSON(t, &st)
	return st
}

type billingStatus struct {
	Plan              string     `json:"plan"`
	Status            string     `json:"status"`
	CurrentPeriodEnd  *time.Time `json:"current_period_end"`
	CancelAtPeriodEnd bool       `json:"cancel_at_period_end"`
	HasCustomer       bool       `json:"has_customer"`
}

func count(t *testing.T, s *apptest.Server, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// eventually polls cond until it holds: for work done by the job queue in the background.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	mockOnce sync.Once
	mockBin  string
	mockErr  error
)

// stripeMock builds stripe-mock (the go.mod tool, once per test binary) and runs it on a
// free 127.0.0.1 port; it needs no network, its OpenAPI fixtures are embedded.
func stripeMock(t *testing.T) string {
	t.Helper()
	mockOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stripe-mock-")
		if err != nil {
			mockErr = err
			return
		}
		mockBin = filepath.Join(dir, "stripe-mock")
		out, err := exec.Command("go", "build", "-o", mockBin, "github.com/stripe/stripe-mock").CombinedOutput()
		if err != nil {
			mockErr = err
			mockBin = string(out)
		}
	})
	if mockErr != nil {
		t.Fatalf("build stripe-mock: %v\n%s", mockErr, mockBin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(mockBin, "-http-addr", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	eventually(t, "stripe-mock listening on "+addr, func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "http://" + addr
}

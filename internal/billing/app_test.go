package billing_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if mockBin != "" && mockErr == nil {
		os.RemoveAll(filepath.Dir(mockBin))
	}
	os.Exit(code)
}

func task(title string) map[string]any {
	return map[string]any{"title": title, "instruction": "Summarise my day",
		"schedule": map[string]any{"kind": "daily", "time": "08:00"}, "timezone": "UTC", "channels": []string{"in_app"}}
}

// TestUpgradeAndDowngrade: a user upgrades through Checkout and their limits change as
// soon as the webhook arrives; cancelling in the Portal keeps the plan to the period's
// end; when the subscription ends the tasks beyond the free plan are paused, newest
// first, with nothing deleted and the user told.
func TestUpgradeAndDowngrade(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := startStack(t, tg)
		uid, tok := authtest.NewUser(t, s.Server)
		ids := []string{}
		create := func(title string) *apptest.Response {
			res := s.Do("POST", "/api/v1/tasks", tok, task(title))
			if res.Status == http.StatusCreated {
				var tk struct{ ID string }
				res.JSON(t, &tk)
				ids = append(ids, tk.ID)
			}
			return res
		}
		if res := create("first"); res.Status != http.StatusCreated {
			t.Fatalf("first task: %d %s", res.Status, res.Body)
		}
		if res := create("second"); res.Status != http.StatusConflict || res.ErrorCode() != "task_limit" {
			t.Fatalf("second task on free: %d %s, want 409 task_limit", res.Status, res.Body)
		}
		if st := s.status(t, tok); st.Plan != "free" || st.Status != "none" || st.HasCustomer {
			t.Fatalf("before checkout: %+v", st)
		}

		s.subscribe(t, tok)
		st := s.status(t, tok)
		if st.Plan != "pro" || st.Status != "active" || st.CurrentPeriodEnd == nil || st.CancelAtPeriodEnd {
			t.Fatalf("after checkout: %+v", st)
		}
		var usage struct{ Plan struct{ ID string } }
		s.Do("GET", "/api/v1/usage", tok, nil).JSON(t, &usage)
		if usage.Plan.ID != "pro" {
			t.Fatalf("usage reports plan %q after the upgrade", usage.Plan.ID)
		}
		for _, title := range []string{"second", "third"} {
			if res := create(title); res.Status != http.StatusCreated {
				t.Fatalf("%s task on pro: %d %s", title, res.Status, res.Body)
			}
		}
		emails := s.fake.Customers()
		if len(emails) != 1 {
			t.Fatalf("%d Stripe customers, want 1", len(emails))
		}
		for _, e := range emails {
			if !strings.HasSuffix(e, "@example.com") {
				t.Fatalf("customer email %q", e)
			}
		}

		// Subscribed: Checkout again is refused and points at the Portal.
		res := s.Do("POST", "/api/v1/billing/checkout", tok, map[string]string{"plan": "pro"})
		if res.Status != http.StatusConflict || !strings.Contains(string(res.Body), `"portal":true`) {
			t.Fatalf("second checkout: %d %s, want 409 pointing at the portal", res.Status, res.Body)
		}
		// Cancel in the Portal: the plan stays until the period ends.
		res = s.Do("POST", "/api/v1/billing/portal", tok, nil)
		var portal struct{ URL string }
		res.JSON(t, &portal)
		if res.Status != http.StatusOK || !strings.HasPrefix(portal.URL, s.fake.URL+"/portal/") {
			t.Fatalf("portal: %d %s", res.Status, res.Body)
		}
		page, query, _ := strings.Cut(portal.URL, "?")
		back, err := noRedirect.Post(page+"/cancel?"+query, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		back.Body.Close()
		if st := s.status(t, tok); st.Plan != "pro" || !st.CancelAtPeriodEnd {
			t.Fatalf("after cancelling in the portal: %+v", st)
		}

		// The period ends: Stripe deletes the subscription.
		var subID string
		if err := s.DB.R.QueryRow(`SELECT stripe_subscription_id FROM billing_subscriptions WHERE user_id = $1`, uid).Scan(&subID); err != nil {
			t.Fatal(err)
		}
		sub, _ := s.fake.Sub(subID)
		sub.Status = "canceled"
		s.fake.SetSub(sub)
		if err := s.fake.Deliver("customer.subscription.deleted", map[string]any{"id": subID, "object": "subscription"}); err != nil {
			t.Fatal(err)
		}
		if st := s.status(t, tok); st.Plan != "free" || st.Status != "canceled" {
			t.Fatalf("after the subscription ended: %+v", st)
		}
		var list struct {
			Tasks []struct {
				ID             string
				DisabledReason string `json:"disabled_reason"`
				Enabled        bool
			}
		}
		s.Do("GET", "/api/v1/tasks", tok, nil).JSON(t, &list)
		if len(list.Tasks) != 3 {
			t.Fatalf("%d tasks after the downgrade, want all 3 kept", len(list.Tasks))
		}
		for _, tk := range list.Tasks {
			oldest := tk.ID == ids[0]
			if tk.Enabled != oldest || (!oldest && !strings.Contains(tk.DisabledReason, "1 active tasks")) {
				t.Fatalf("task %s enabled=%v reason=%q; want only the oldest running", tk.ID, tk.Enabled, tk.DisabledReason)
			}
		}
		if n := count(t, s.Server, `SELECT COUNT(*) FROM mail_outbox WHERE user_id = $1 AND kind = 'tasks_plan_paused'`, uid); n != 1 {
			t.Fatalf("%d plan-pause emails, want 1", n)
		}
	})
}

// TestDeletionCancelsSubscription: deleting the account inserts the cancel job in the
// deletion's transaction; the job ends the subscription at the period's end; recovering
// the account does not resubscribe; the purge removes the Stripe customer mapping.
func TestDeletionCancelsSubscription(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := startStack(t, tg)
		uid, tok := authtest.NewUser(t, s.Server)
		s.subscribe(t, tok)
		var subID, email string
		if err := s.DB.R.QueryRow(`SELECT stripe_subscription_id FROM billing_subscriptions WHERE user_id = $1`, uid).Scan(&subID); err != nil {
			t.Fatal(err)
		}
		if err := s.DB.R.QueryRow(`SELECT email FROM users WHERE id = $1`, uid).Scan(&email); err != nil {
			t.Fatal(err)
		}
		if res := s.Do("POST", "/api/v1/me/delete", tok, map[string]string{"password": authtest.Password}); res.Status != http.StatusOK {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		eventually(t, "the cancellation at Stripe", func() bool {
			sub, _ := s.fake.Sub(subID)
			return sub.CancelAtPeriodEnd
		})
		if n := count(t, s.Server, `SELECT COUNT(*) FROM river_job WHERE kind = 'billing_cancel'`); n != 1 {
			t.Fatalf("%d cancel jobs, want 1", n)
		}
		eventually(t, "the stored cancellation", func() bool {
			return count(t, s.Server, `SELECT COUNT(*) FROM billing_subscriptions WHERE user_id = $1 AND cancel_at_period_end = 1`, uid) == 1
		})

		res := s.Do("POST", "/api/v1/me/recover", "", map[string]any{"email": email, "password": authtest.Password})
		if res.Status != http.StatusOK {
			t.Fatalf("recover: %d %s", res.Status, res.Body)
		}
		var rec struct{ Token string }
		res.JSON(t, &rec)
		if sub, _ := s.fake.Sub(subID); !sub.CancelAtPeriodEnd {
			t.Fatal("recovery resumed the subscription")
		}
		if st := s.status(t, rec.Token); !st.CancelAtPeriodEnd || st.Plan != "pro" {
			t.Fatalf("after recovery: %+v, want pro until the period's end", st)
		}

		if _, err := s.Privacy.Purge(t.Context(), uid); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"billing_customers", "billing_subscriptions"} {
			if n := count(t, s.Server, `SELECT COUNT(*) FROM `+table+` WHERE user_id = $1`, uid); n != 0 {
				t.Fatalf("%d rows of %s left after the purge", n, table)
			}
		}
	})
}

// TestBadInput: unknown plan, a plan without a price, wrong bodies and a Portal without
// a customer are refused clearly, and nothing is created at Stripe or stored.
func TestBadInput(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := startStack(t, tg)
		_, tok := authtest.NewUser(t, s.Server)
		cases := []struct {
			name   string
			path   string
			body   any
			status int
			code   string
		}{
			{"unknown plan", "/api/v1/billing/checkout", map[string]string{"plan": "gold"}, 400, "invalid_request"},
			{"plan without a price", "/api/v1/billing/checkout", map[string]string{"plan": "team"}, 400, "invalid_request"},
			{"the free plan", "/api/v1/billing/checkout", map[string]string{"plan": "free"}, 400, "invalid_request"},
			{"no plan", "/api/v1/billing/checkout", map[string]string{}, 400, "invalid_request"},
			{"not JSON", "/api/v1/billing/checkout", "plan=pro", 400, "invalid_request"},
			{"unknown field", "/api/v1/billing/checkout", map[string]string{"plan": "pro", "price": "price_cheap"}, 400, "invalid_request"},
			{"too large", "/api/v1/billing/checkout", `{"plan":"` + strings.Repeat("p", 2<<20) + `"}`, 413, "too_large"},
			{"portal without a customer", "/api/v1/billing/portal", nil, 409, "conflict"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := s.Do("POST", c.path, tok, c.body)
				if res.Status != c.status || res.ErrorCode() != c.code {
					t.Fatalf("%d %s, want %d %s", res.Status, res.Body, c.status, c.code)
				}
			})
		}
		if n := s.fake.Calls("POST /v1/customers") + s.fake.Calls("POST /v1/checkout/sessions"); n != 0 {
			t.Fatalf("bad input reached Stripe %d times", n)
		}
		if n := count(t, s.Server, `SELECT COUNT(*) FROM billing_customers`); n != 0 {
			t.Fatalf("bad input stored %d customers", n)
		}
		// Unsigned and oversized webhooks, through the whole server.
		if res := s.Do("POST", "/webhooks/stripe", "", `{"id":"evt_1","type":"invoice.paid"}`); res.Status != 400 {
			t.Fatalf("unsigned webhook: %d %s", res.Status, res.Body)
		}
		if res := s.Do("POST", "/webhooks/stripe", "", strings.Repeat("x", 70<<10)); res.Status != 413 {
			t.Fatalf("webhook over 64 KiB: %d %s", res.Status, res.Body)
		}
	})
}

// TestBillingOff: without a Stripe key every user is on the default plan, the plans are
// still listed, and the billing routes say billing is off.
func TestBillingOff(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{"ALLY_PLANS": plans}})
		_, tok := authtest.NewUser(t, s)
		var out struct {
			Plans []struct {
				ID    string
				Price *struct{ ID string }
			}
			BillingEnabled bool `json:"billing_enabled"`
		}
		res := s.Do("GET", "/api/v1/plans", "", nil)
		res.JSON(t, &out)
		if res.Status != 200 || out.BillingEnabled || len(out.Plans) != 3 || out.Plans[1].Price == nil || out.Plans[1].Price.ID != proPrice {
			t.Fatalf("plans: %d %s", res.Status, res.Body)
		}
		for _, r := range [][2]string{{"GET", "/api/v1/billing"}, {"POST", "/api/v1/billing/portal"}, {"POST", "/webhooks/stripe"}} {
			res := s.Do(r[0], r[1], tok, nil)
			if res.Status != 404 || !strings.Contains(string(res.Body), "billing_disabled") {
				t.Fatalf("%s %s with billing off: %d %s", r[0], r[1], res.Status, res.Body)
			}
		}
		res = s.Do("POST", "/api/v1/billing/checkout", tok, map[string]string{"plan": "pro"})
		if res.Status != 404 || !strings.Contains(string(res.Body), "billing_disabled") {
			t.Fatalf("checkout with billing off: %d %s", res.Status, res.Body)
		}
	})
}

// TestAgainstStripeMock: the outgoing calls (customer, Checkout Session, Portal session,
// price) are accepted by stripe-mock, which validates them against Stripe's OpenAPI
// specification; the customer is created once and stored.
func TestAgainstStripeMock(t *testing.T) {
	mock := stripeMock(t)
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ALLY_STRIPE_SECRET_KEY": "sk_test_mock", "ALLY_STRIPE_WEBHOOK_SECRET": webhookSecret,
			"ALLY_STRIPE_API_URL": mock, "ALLY_PLANS": plans, "ALLY_PUBLIC_URL": "https://ally.example",
		}})
		uid, tok := authtest.NewUser(t, s)
		for range 2 {
			res := s.Do("POST", "/api/v1/billing/checkout", tok, map[string]string{"plan": "pro"})
			var out struct{ URL string }
			res.JSON(t, &out)
			if res.Status != 200 || !strings.HasPrefix(out.URL, "https://") {
				t.Fatalf("checkout against stripe-mock: %d %s", res.Status, res.Body)
			}
		}
		if n := count(t, s, `SELECT COUNT(*) FROM billing_customers WHERE user_id = $1 AND stripe_customer_id LIKE 'cus_%'`, uid); n != 1 {
			t.Fatalf("%d stored customers, want 1", n)
		}
		res := s.Do("POST", "/api/v1/billing/portal", tok, nil)
		var out struct{ URL string }
		res.JSON(t, &out)
		if res.Status != 200 || !strings.HasPrefix(out.URL, "https://") {
			t.Fatalf("portal against stripe-mock: %d %s", res.Status, res.Body)
		}
		var plansOut struct {
			Plans []struct {
				Price *struct {
					Currency string
				}
			}
		}
		s.Do("GET", "/api/v1/plans", "", nil).JSON(t, &plansOut)
		if p := plansOut.Plans[1].Price; p == nil || p.Currency == "" {
			t.Fatalf("the pro price was not read from stripe-mock: %+v", p)
		}
		if strings.Contains(s.Logs.String(), "@example.com") {
			t.Fatal("an email address was logged")
		}
	})
}

// TestDowngradePausesTooFrequentTasks: a task allowed by the paid plan's minimum interval
// is paused when the plan that applies no longer allows it.
func TestDowngradePausesTooFrequentTasks(t *testing.T) {
	const intervals = `[{"id":"free","name":"Free","limits":{"min_task_interval":"48h"}},
		{"id":"pro","name":"Pro","stripe_price":"price_pro","limits":{"min_task_interval":"1h"}}]`
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := startStackWith(t, tg, intervals)
		uid, tok := authtest.NewUser(t, s.Server)
		if res := s.Do("POST", "/api/v1/tasks", tok, task("daily")); res.Status != http.StatusBadRequest {
			t.Fatalf("a daily task on free (every 48h at most): %d %s", res.Status, res.Body)
		}
		s.subscribe(t, tok)
		if res := s.Do("POST", "/api/v1/tasks", tok, task("daily")); res.Status != http.StatusCreated {
			t.Fatalf("a daily task on pro: %d %s", res.Status, res.Body)
		}
		var subID string
		if err := s.DB.R.QueryRow(`SELECT stripe_subscription_id FROM billing_subscriptions WHERE user_id = $1`, uid).Scan(&subID); err != nil {
			t.Fatal(err)
		}
		sub, _ := s.fake.Sub(subID)
		sub.Status = "canceled"
		s.fake.SetSub(sub)
		if err := s.fake.Deliver("customer.subscription.deleted", map[string]any{"id": subID, "object": "subscription"}); err != nil {
			t.Fatal(err)
		}
		var list struct {
			Tasks []struct {
				Enabled        bool
				DisabledReason string `json:"disabled_reason"`
			}
		}
		s.Do("GET", "/api/v1/tasks", tok, nil).JSON(t, &list)
		if len(list.Tasks) != 1 || list.Tasks[0].Enabled || !strings.Contains(list.Tasks[0].DisabledReason, "at most every 48h") {
			t.Fatalf("after the downgrade: %+v, want the daily task paused for the interval", list.Tasks)
		}
	})
}

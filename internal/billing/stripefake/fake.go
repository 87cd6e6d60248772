// Package stripefake is a small stateful stand-in for the few Stripe API endpoints Ally
// calls, speaking Stripe's real wire format (form-encoded requests, JSON objects), plus
// hosted Checkout and Portal pages a browser test can click through. stripe-mock answers
// the outgoing calls from fixtures but keeps no state; subscriptions whose state changes
// across events need this. It is for tests and local development only.
package stripefake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// Sub is the state of one fake subscription.
type Sub struct {
	ID, Customer, Price, Status string
	CurrentPeriodEnd            time.Time
	CancelAtPeriodEnd           bool
}

type session struct {
	ID, Customer, ClientReference, Price, SuccessURL, CancelURL string
}

// Server is the fake; its zero value is not usable, use New.
type Server struct {
	// URL is where it listens (set by the caller once it serves).
	URL string
	// webhookURL and webhookSecret, when set, make the hosted pages deliver signed events.
	webhookURL, webhookSecret string
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time

	mu        sync.Mutex
	customers map[string]string // id -> email
	sessions  map[string]session
	subs      map[string]*Sub
	prices    map[string]int64
	// Calls counts requests per "METHOD /path-pattern".
	calls map[string]int
}

// New returns an empty fake that sells the given prices (id -> unit amount in cents).
func New(prices map[string]int64) *Server {
	return &Server{customers: map[string]string{}, sessions: map[string]session{}, subs: map[string]*Sub{},
		prices: prices, calls: map[string]int{}}
}

func (f *Server) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// NewID returns a Stripe-looking id with the prefix.
func NewID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// Handler serves the API and the hosted pages.
func (f *Server) Handler() http.Handler {
	// Method and path are kept apart: these are Stripe's routes, not Ally's, and the
	// contract test that lists Ally's routes looks for "METHOD /path" literals.
	routes := []struct {
		method, path string
		h            http.HandlerFunc
	}{
		{"POST", "/v1/customers", f.createCustomer},
		{"POST", "/v1/checkout/sessions", f.createSession},
		{"POST", "/v1/billing_portal/sessions", f.createPortal},
		{"GET", "/v1/subscriptions/{id}", f.getSub},
		{"POST", "/v1/subscriptions/{id}", f.updateSub},
		{"GET", "/v1/subscriptions", f.listSubs},
		{"GET", "/v1/prices/{id}", f.getPrice},
		{"GET", "/checkout/{id}", f.checkoutPage},
		{"POST", "/checkout/{id}", f.checkoutPay},
		{"GET", "/portal/{id}", f.portalPage},
		{"POST", "/portal/{id}/cancel", f.portalCancel},
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.path, rt.h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_") {
			stripeError(w, http.StatusUnauthorized, "invalid_request_error", "Invalid API Key provided")
			return
		}
		_, pattern := mux.Handler(r)
		f.mu.Lock()
		f.calls[pattern]++
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

// SetWebhook makes the fake deliver its events, signed with secret, to url.
func (f *Server) SetWebhook(url, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhookURL, f.webhookSecret = url, secret
}

// Calls returns how many requests matched a route pattern: method, space, path.
func (f *Server) Calls(pattern string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[pattern]
}

// Customers returns the fake's customers (id -> email).
func (f *Server) Customers() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.customers {
		out[k] = v
	}
	return out
}

// AddCustomer registers a customer (tests that skip Checkout).
func (f *Server) AddCustomer(id, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.customers[id] = email
}

// SetSub creates or replaces a subscription's state.
func (f *Server) SetSub(s Sub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := s
	f.subs[s.ID] = &c
}

// Sub returns a subscription's state.
func (f *Server) Sub(id string) (Sub, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.subs[id]
	if !ok {
		return Sub{}, false
	}
	return *s, true
}

func stripeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": typ, "message": msg}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", NewID("req"))
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id := NewID("cus")
	f.mu.Lock()
	f.customers[id] = r.PostForm.Get("email")
	f.mu.Unlock()
	writeJSON(w, map[string]any{"id": id, "object": "customer", "email": r.PostForm.Get("email")})
}

func (f *Server) createSession(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p := r.PostForm
	if p.Get("mode") != "subscription" || p.Get("line_items[0][price]") == "" {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "mode subscription and a line item price are required")
		return
	}
	f.mu.Lock()
	_, okCust := f.customers[p.Get("customer")]
	_, okPrice := f.prices[p.Get("line_items[0][price]")]
	s := session{ID: NewID("cs_test"), Customer: p.Get("customer"), ClientReference: p.Get("client_reference_id"),
		Price: p.Get("line_items[0][price]"), SuccessURL: p.Get("success_url"), CancelURL: p.Get("cancel_url")}
	if okCust && okPrice {
		f.sessions[s.ID] = s
	}
	f.mu.Unlock()
	if !okCust || !okPrice {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "No such customer or price")
		return
	}
	writeJSON(w, map[string]any{"id": s.ID, "object": "checkout.session", "mode": "subscription",
		"customer": s.Customer, "client_reference_id": s.ClientReference, "url": f.URL + "/checkout/" + s.ID,
		"success_url": s.SuccessURL, "cancel_url": s.CancelURL, "status": "open"})
}

func (f *Server) createPortal(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id := NewID("bps")
	writeJSON(w, map[string]any{"id": id, "object": "billing_portal.session", "customer": r.PostForm.Get("customer"),
		"return_url": r.PostForm.Get("return_url"), "url": f.URL + "/portal/" + id + "?customer=" + r.PostForm.Get("customer") +
			"&return=" + template.URLQueryEscaper(r.PostForm.Get("return_url"))})
}

// SubJSON is a subscription in Stripe's wire format.
func SubJSON(s Sub) map[string]any {
	return map[string]any{"id": s.ID, "object": "subscription", "customer": s.Customer, "status": s.Status,
		"cancel_at_period_end": s.CancelAtPeriodEnd, "metadata": map[string]string{},
		"items": map[string]any{"object": "list", "has_more": false, "url": "/v1/subscription_items?subscription=" + s.ID,
			"data": []any{map[string]any{"id": "si_" + strings.TrimPrefix(s.ID, "sub_"), "object": "subscription_item",
				"current_period_end": s.CurrentPeriodEnd.Unix(), "price": map[string]any{"id": s.Price, "object": "price"}}}}}
}

func (f *Server) getSub(w http.ResponseWriter, r *http.Request) {
	s, ok := f.Sub(r.PathValue("id"))
	if !ok {
		stripeError(w, http.StatusNotFound, "invalid_request_error", "No such subscription")
		return
	}
	writeJSON(w, SubJSON(s))
}

func (f *Server) updateSub(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	s, ok := f.subs[r.PathValue("id")]
	if ok && s.Status == "canceled" {
		f.mu.Unlock()
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "A canceled subscription can only update its cancellation_details")
		return
	}
	if ok {
		if v := r.PostForm.Get("cancel_at_period_end"); v != "" {
			s.CancelAtPeriodEnd = v == "true"
		}
	}
	var c Sub
	if ok {
		c = *s
	}
	f.mu.Unlock()
	if !ok {
		stripeError(w, http.StatusNotFound, "invalid_request_error", "No such subscription")
		return
	}
	writeJSON(w, SubJSON(c))
}

func (f *Server) listSubs(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var data []any
	for _, s := range f.subs {
		data = append(data, SubJSON(*s))
	}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"object": "list", "url": "/v1/subscriptions", "has_more": false, "data": data})
}

func (f *Server) getPrice(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	amount, ok := f.prices[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		stripeError(w, http.StatusNotFound, "invalid_request_error", "No such price: '"+r.PathValue("id")+"'")
		return
	}
	writeJSON(w, map[string]any{"id": r.PathValue("id"), "object": "price", "active": true, "currency": "usd",
		"unit_amount": amount, "type": "recurring", "recurring": map[string]any{"interval": "month", "interval_count": 1}})
}

var page = template.Must(template.New("p").Parse(`<!doctype html><html><head><title>{{.Title}}</title><link rel="icon" href="data:,"></head><body>
<h1>{{.Title}}</h1><p>{{.Text}}</p><form method="post" action="{{.Action}}"><button type="submit">{{.Button}}</button></form>
{{if .Back}}<p><a href="{{.Back}}">Back</a></p>{{end}}</body></html>`))

func (f *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	s, ok := f.sessions[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_ = page.Execute(w, map[string]string{"Title": "Fake Stripe Checkout", "Text": "Subscribe to " + s.Price,
		"Action": "/checkout/" + s.ID, "Button": "Subscribe", "Back": s.CancelURL})
}

// checkoutPay completes the session: an active subscription, its events delivered to
// the webhook, then the redirect to the success URL, as Stripe does.
func (f *Server) checkoutPay(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	s, ok := f.sessions[r.PathValue("id")]
	delete(f.sessions, r.PathValue("id"))
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	sub := Sub{ID: NewID("sub"), Customer: s.Customer, Price: s.Price, Status: "active",
		CurrentPeriodEnd: f.now().Add(30 * 24 * time.Hour)}
	f.SetSub(sub)
	cs := map[string]any{"id": s.ID, "object": "checkout.session", "mode": "subscription", "customer": s.Customer,
		"client_reference_id": s.ClientReference, "subscription": sub.ID, "status": "complete"}
	if err := f.Deliver("checkout.session.completed", cs); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_ = f.Deliver("customer.subscription.created", SubJSON(sub))
	http.Redirect(w, r, s.SuccessURL, http.StatusSeeOther)
}

func (f *Server) portalPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	_ = page.Execute(w, map[string]string{"Title": "Fake Stripe Customer Portal", "Text": "Manage your subscription",
		"Action": "/portal/" + r.PathValue("id") + "/cancel?customer=" + template.URLQueryEscaper(q.Get("customer")) +
			"&return=" + template.URLQueryEscaper(q.Get("return")),
		"Button": "Cancel subscription", "Back": q.Get("return")})
}

// portalCancel sets every subscription of the customer to end at the period's end.
func (f *Server) portalCancel(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var changed []Sub
	f.mu.Lock()
	for _, s := range f.subs {
		if s.Customer == q.Get("customer") && s.Status != "canceled" {
			s.CancelAtPeriodEnd = true
			changed = append(changed, *s)
		}
	}
	f.mu.Unlock()
	for _, s := range changed {
		_ = f.Deliver("customer.subscription.updated", SubJSON(s))
	}
	http.Redirect(w, r, q.Get("return"), http.StatusSeeOther)
}

// Event builds a Stripe event around an object, in the wire format.
func Event(id, typ string, object any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": stripe.APIVersion,
		"created": time.Now().Unix(), "type": typ, "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object}})
	return b
}

// Sign returns the Stripe-Signature header of payload signed with secret at t.
func Sign(payload []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: t}).Header
}

// Deliver posts a signed event to the webhook (no-op without one).
func (f *Server) Deliver(typ string, object any) error {
	f.mu.Lock()
	url, secret := f.webhookURL, f.webhookSecret
	f.mu.Unlock()
	if url == "" {
		return nil
	}
	body := Event(NewID("evt"), typ, object)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", Sign(body, secret, time.Now()))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %s", strconv.Itoa(res.StatusCode))
	}
	return nil
}

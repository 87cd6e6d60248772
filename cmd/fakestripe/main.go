// Command fakestripe runs the stateful Stripe fake of internal/billing/stripefake, so
// browser tests and local development can go through Checkout and the Customer Portal
// with no Stripe account and no network:
//
//	fakestripe -addr 127.0.0.1:12111 -prices price_pro=1200
//	ALLY_STRIPE_SECRET_KEY=sk_test_fake ALLY_STRIPE_API_URL=http://127.0.0.1:12111 \
//	ALLY_STRIPE_WEBHOOK_SECRET=whsec_fake ally serve
//
// The hosted pages (/checkout/{id}, /portal/{id}) deliver signed events to the webhook
// given with -webhook-url, or later by POST /_webhook {"url": "…"} (a test that learns
// Ally's address only once it runs).
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"

	"myally.app/ally/internal/billing/stripefake"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:12111", "address to listen on")
	prices := flag.String("prices", "price_pro=1200", "comma-separated price=amount-in-cents the fake sells")
	hook := flag.String("webhook-url", "", "where to deliver events (Ally's /webhooks/stripe)")
	secret := flag.String("webhook-secret", "whsec_fake", "secret the events are signed with")
	flag.Parse()

	table := map[string]int64{}
	for _, kv := range strings.Split(*prices, ",") {
		id, amount, ok := strings.Cut(strings.TrimSpace(kv), "=")
		n, err := strconv.ParseInt(amount, 10, 64)
		if !ok || err != nil {
			log.Fatalf("fakestripe: -prices: %q is not price=amount", kv)
		}
		table[id] = n
	}
	fake := stripefake.New(table)
	fake.SetWebhook(*hook, *secret)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fake.URL = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_webhook", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ URL string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fake.SetWebhook(in.URL, *secret)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/", fake.Handler())
	log.Printf("fakestripe listening on %s", fake.URL)
	log.Fatal(http.Serve(ln, mux))
}

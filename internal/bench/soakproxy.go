package bench

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"syscall"
)

// roundRobin is the soak's load balancer: each request goes to the next instance in turn;
// one refused by a dead instance (connection refused) is passed to the next instance, as
// a load balancer's passive health check would.
type roundRobin struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Int64
	served  []atomic.Int64
}

func newRoundRobin(urls ...string) *roundRobin {
	rr := &roundRobin{served: make([]atomic.Int64, len(urls))}
	for i, raw := range urls {
		u, _ := url.Parse(raw)
		p := httputil.NewSingleHostReverseProxy(u)
		p.FlushInterval = -1 // reply streams pass through as they come
		// Streams cut by the kill are expected; the soak counts them, the log need not.
		p.ErrorLog = log.New(io.Discard, "", 0)
		p.ModifyResponse = func(*http.Response) error { rr.served[i].Add(1); return nil }
		p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			if len(urls) > 1 && r.Header.Get("X-Soak-Retried") == "" && errors.Is(err, syscall.ECONNREFUSED) {
				r.Header.Set("X-Soak-Retried", "1")
				rr.proxies[(i+1)%len(rr.proxies)].ServeHTTP(w, r)
				return
			}
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}
		rr.proxies = append(rr.proxies, p)
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(rr.next.Add(1)-1) % len(rr.proxies)
	rr.proxies[i].ServeHTTP(w, r)
}

package auth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

// device is a browser at one client address.
type device struct {
	s  *apptest.Server
	ip string
}

func newDevice(t *testing.T, s *apptest.Server, ip string) *device {
	return &device{s: s, ip: ip}
}

// login tries to sign in and returns the status.
func (d *device) login(t *testing.T, email, password string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, err := http.NewRequest("POST", d.s.URL+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", d.ip)
	req.Header.Set("User-Agent", "Mozilla/5.0 (device at "+d.ip+")")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestLoginNoTargetedLockout: failed guesses from elsewhere do not lock the owner out of a
// device they signed in with before, while the guesser stays limited, per client and per
// address, on every instance.
func TestLoginNoTargetedLockout(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		env := map[string]string{"ALLY_TRUSTED_PROXIES": "127.0.0.1"}
		a := start(t, tg, env)
		b := apptest.Start(t, tg, apptest.Options{DataDir: a.Config.DataDir, Env: env})
		const victim = "victim@example.com"
		authtest.NewUser(t, a, authtest.Email(victim))

		owner := newDevice(t, a, "198.51.100.1")
		if st := owner.login(t, victim, authtest.Password); st != 200 {
			t.Fatalf("owner's first sign-in: %d", st)
		}

		// One attacker address: 10 guesses, then refused.
		attacker := newDevice(t, b, "203.0.113.1")
		for i := range 10 {
			if st := attacker.login(t, victim, "guess "+strconv.Itoa(i)); st != 401 {
				t.Fatalf("guess %d: %d", i, st)
			}
		}
		if st := attacker.login(t, victim, authtest.Password); st != http.StatusTooManyRequests {
			t.Fatalf("11th attempt from one address: %d", st)
		}
		if st := owner.login(t, victim, authtest.Password); st != 200 {
			t.Fatalf("owner after 10 foreign failures: %d", st)
		}

		// Many attacker addresses: the per-address limit stops them all, but not the owner's
		// known device, on either instance.
		for i := 0; i < 50; i++ {
			newDevice(t, b, "203.0.113."+strconv.Itoa(10+i/5)).login(t, victim, "spread guess")
		}
		if st := newDevice(t, a, "192.0.2.200").login(t, victim, authtest.Password); st != http.StatusTooManyRequests {
			t.Fatalf("a new address after 50 spread failures: %d", st)
		}
		owner.s = b
		if st := owner.login(t, victim, authtest.Password); st != 200 {
			t.Fatalf("owner's known device after spread failures: %d", st)
		}
		// A device is known to the accounts it signed in to: it does not lift another's limit.
		other := "other@example.com"
		authtest.NewUser(t, a, authtest.Email(other))
		for i := 0; i < 50; i++ {
			newDevice(t, a, "203.0.114."+strconv.Itoa(i/5)).login(t, other, "spread guess")
		}
		if st := owner.login(t, other, authtest.Password); st != http.StatusTooManyRequests {
			t.Fatalf("victim's device on another account after spread failures: %d", st)
		}
	})
}

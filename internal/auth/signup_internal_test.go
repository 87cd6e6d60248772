package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// TestSignupLimiterFailure: when the rate-limit store fails on the sign-up velocity check,
// sign-up answers a clean 500 internal error, creates nothing and does not panic.
func TestSignupLimiterFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		u := newUnit(t, d)
		u.limiter.fail["signup_velocity_ip"] = errors.New("ratelimit: count signup_velocity_ip: database is locked")
		w := u.do("POST", "/api/v1/auth/signup", `{"name":"Ann","email":"ann@example.com","password":"a perfectly fine passphrase","age_confirmed":true}`)
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("not JSON: %s", w.Body)
		}
		if w.Code != http.StatusInternalServerError || e.Error.Code != "internal" || e.Error.Message == "" {
			t.Fatalf("got %d %s", w.Code, w.Body)
		}
		if n := count(t, d, "users"); n != 0 {
			t.Fatalf("%d users created", n)
		}
	})
}

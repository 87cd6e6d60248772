package auth_test

import (
	"bytes"
	"net/http"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
)

// signupFrom posts a signup with an X-Forwarded-For header and returns the status.
func signupFrom(t *testing.T, s *apptest.Server, email, forwardedFor string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/auth/signup",
		bytes.NewReader([]byte(`{"email":"`+email+`","password":"long enough pass","age_confirmed":true}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestLimitsUseTheRealClientIP covers ACC-6 and ASVS V6.3.1: X-Forwarded-For is believed
// only from a configured trusted proxy, so a client cannot dodge per-IP limits by
// inventing addresses, while users behind a trusted proxy are told apart.
func TestLimitsUseTheRealClientIP(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		tests := []struct {
			name    string
			trusted string
			second  int
		}{
			{"untrusted peer: header ignored", "", http.StatusTooManyRequests},
			{"trusted proxy: header believed", "127.0.0.1", http.StatusAccepted},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := start(t, tg, map[string]string{"ALLY_SIGNUPS_PER_IP_PER_DAY": "1", "ALLY_TRUSTED_PROXIES": tt.trusted})
				if st := signupFrom(t, s, "one@example.com", "198.51.100.1"); st != http.StatusAccepted {
					t.Fatalf("first signup: %d", st)
				}
				if st := signupFrom(t, s, "two@example.com", "198.51.100.2"); st != tt.second {
					t.Fatalf("second signup from another claimed address: %d, want %d", st, tt.second)
				}
			})
		}
	})
}

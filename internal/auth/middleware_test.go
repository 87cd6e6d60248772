package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
)

const testSecret = "test-secret-test-secret-test-secret-0123"

func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestRequireRefusesBadTokens covers ASVS V9.1.1, V9.1.2, V9.2.1, V9.2.2, V7.2.1: only an
// HS256 session token with a valid signature, an expiry in the future and the session
// type, naming a live server-side session, is accepted.
func TestRequireRefusesBadTokens(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		uid, good := authtest.NewUser(t, s)
		claims := func(m jwt.MapClaims) jwt.MapClaims {
			now := time.Now()
			base := jwt.MapClaims{"sub": uid, "sid": "x", "typ": "session", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
			for k, v := range m {
				base[k] = v
			}
			return base
		}
		// A real session id, read from a token the server issued.
		parsed, _, err := jwt.NewParser().ParseUnverified(good, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		sid := parsed.Claims.(jwt.MapClaims)["sid"]
		now := time.Now()
		tests := []struct {
			name  string
			token string
			want  int
		}{
			{"valid", good, http.StatusOK},
			{"no token", "", http.StatusUnauthorized},
			{"garbage", "not-a-jwt", http.StatusUnauthorized},
			{"alg none", forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(jwt.MapClaims{"sid": sid})), http.StatusUnauthorized},
			{"HS512 with the right secret", forge(t, jwt.SigningMethodHS512, []byte(testSecret), claims(jwt.MapClaims{"sid": sid})), http.StatusUnauthorized},
			{"wrong secret", forge(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-0000"), claims(jwt.MapClaims{"sid": sid})), http.StatusUnauthorized},
			{"expired", forge(t, jwt.SigningMethodHS256, []byte(testSecret), claims(jwt.MapClaims{"sid": sid, "iat": now.Add(-8 * 24 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})), http.StatusUnauthorized},
			{"no expiry", forge(t, jwt.SigningMethodHS256, []byte(testSecret), jwt.MapClaims{"sub": uid, "sid": sid, "typ": "session", "iat": now.Unix()}), http.StatusUnauthorized},
			{"wrong type", forge(t, jwt.SigningMethodHS256, []byte(testSecret), claims(jwt.MapClaims{"sid": sid, "typ": "password_reset"})), http.StatusUnauthorized},
			{"unknown session", forge(t, jwt.SigningMethodHS256, []byte(testSecret), claims(nil)), http.StatusUnauthorized},
			{"session of another user", forge(t, jwt.SigningMethodHS256, []byte(testSecret), claims(jwt.MapClaims{"sid": sid, "sub": "someone-else"})), http.StatusUnauthorized},
			{"forged with own session id", forge(t, jwt.SigningMethodHS256, []byte(testSecret), claims(jwt.MapClaims{"sid": sid})), http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := s.Do("GET", "/api/v1/me", tt.token, nil)
				if res.Status != tt.want {
					t.Fatalf("status %d, want %d: %s", res.Status, tt.want, res.Body)
				}
				if tt.want == http.StatusUnauthorized && res.ErrorCode() != "unauthenticated" {
					t.Fatalf("error code %q, want unauthenticated", res.ErrorCode())
				}
			})
		}
	})
}

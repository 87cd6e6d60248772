package auth_test

import (
	"fmt"
	"sync"
	"testing"

	"myally.app/ally/internal/db/dbtest"
)

// TestFirstAccountBecomesAdmin: on a fresh install the first account signed up is the
// server's admin and is told so; every later one is an ordinary user; two first sign-ups
// at the same moment make exactly one admin.
func TestFirstAccountBecomesAdmin(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		{
			s := start(t, tg, nil)
			body := func(email string) map[string]any {
				return map[string]any{"name": "Ann", "email": email, "password": "a perfectly fine passphrase", "age_confirmed": true}
			}
			var first struct {
				Admin   bool   `json:"admin"`
				Message string `json:"message"`
			}
			s.Do("POST", "/api/v1/auth/signup", "", body("owner@example.com")).JSON(t, &first)
			if !first.Admin {
				t.Fatalf("the first sign-up is not told it is the admin: %+v", first)
			}
			second := s.Do("POST", "/api/v1/auth/signup", "", body("guest@example.com"))
			var sb struct{ Admin bool }
			second.JSON(t, &sb)
			if sb.Admin {
				t.Fatalf("the second sign-up is told it is the admin: %s", second.Body)
			}
			for email, want := range map[string]string{"owner@example.com": "admin", "guest@example.com": "user"} {
				var role string
				if err := s.DB.R.QueryRow(`SELECT role FROM users WHERE email = $1`, email).Scan(&role); err != nil {
					t.Fatal(err)
				}
				if role != want {
					t.Fatalf("%s has role %q, want %q", email, role, want)
				}
			}
		}
	})
}

// TestFirstSignupsAtOnceMakeOneAdmin: several first sign-ups at the same moment on a
// fresh install make exactly one admin.
func TestFirstSignupsAtOnceMakeOneAdmin(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		{
			s := start(t, tg, map[string]string{"ALLY_SIGNUPS_PER_IP_PER_DAY": "100"})
			const n = 6
			var wg sync.WaitGroup
			statuses := make([]int, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = s.Do("POST", "/api/v1/auth/signup", "", map[string]any{"name": "Ann",
						"email": fmt.Sprintf("racer%d@example.com", i), "password": "a perfectly fine passphrase", "age_confirmed": true}).Status
				}()
			}
			wg.Wait()
			for i, st := range statuses {
				if st != 202 {
					t.Fatalf("sign-up %d answered %d", i, st)
				}
			}
			var admins, users int
			if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM users WHERE role = 'admin'`).Scan(&admins); err != nil {
				t.Fatal(err)
			}
			if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&users); err != nil {
				t.Fatal(err)
			}
			if admins != 1 || users != n {
				t.Fatalf("%d admins among %d accounts, want 1 among %d", admins, users, n)
			}
		}
	})
}

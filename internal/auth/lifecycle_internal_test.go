package auth

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
)

// TestAccountLifecycle: the methods privacy deletes and recovers accounts with work inside
// the caller's transaction: a deleted account's sessions stop working, a second deletion
// is refused, a recovery must name the deletion it undoes and restores a suspension, and
// a rolled-back deletion leaves the account as it was.
func TestAccountLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUnit(t, d)
		tx := func(fn func(tx *sql.Tx) error) error { return d.Tx(ctx, fn) }
		ann, err := u.CreateUser(ctx, NewUser{Email: "ann@example.com", Name: "Ann", Password: "a perfectly fine passphrase"})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := u.IssueSession(ctx, ann.ID, MethodPassword, Client{})
		if err != nil {
			t.Fatal(err)
		}
		at := time.UnixMilli(time.Now().UnixMilli())

		// Rolled back: nothing changes.
		_ = tx(func(tx *sql.Tx) error {
			if err := u.MarkDeleted(ctx, tx, ann.ID, at); err != nil {
				t.Fatal(err)
			}
			if err := u.RevokeAll(ctx, tx, ann.ID); err != nil {
				t.Fatal(err)
			}
			return errs.E(errs.Internal, "a later step failed")
		})
		if _, err := u.authenticate(ctx, sess.Token); err != nil {
			t.Fatalf("a rolled-back deletion ended the session: %v", err)
		}

		if err := tx(func(tx *sql.Tx) error {
			if err := u.MarkDeleted(ctx, tx, ann.ID, at); err != nil {
				return err
			}
			return u.RevokeAll(ctx, tx, ann.ID)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := u.authenticate(ctx, sess.Token); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("session after deletion: %v", err)
		}
		got, _ := u.UserByID(ctx, ann.ID)
		if !got.deleted || !got.deletedAt.Equal(at) || got.status != StatusDeleted {
			t.Fatalf("after deletion: %+v", got)
		}
		if err := tx(func(tx *sql.Tx) error { return u.MarkDeleted(ctx, tx, ann.ID, at) }); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second deletion: %v", err)
		}
		if err := tx(func(tx *sql.Tx) error {
			_, err := u.MarkRecovered(ctx, tx, ann.ID, at.Add(time.Second))
			return err
		}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("recovery of another deletion: %v", err)
		}
		var status string
		if err := tx(func(tx *sql.Tx) (err error) { status, err = u.MarkRecovered(ctx, tx, ann.ID, at); return err }); err != nil || status != StatusActive {
			t.Fatalf("recovery: %q %v", status, err)
		}
		if got, _ := u.UserByID(ctx, ann.ID); !got.active() {
			t.Fatalf("after recovery: %+v", got)
		}

		// A suspended account comes back suspended.
		if _, err := u.Suspend(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		_ = tx(func(tx *sql.Tx) error { return u.MarkDeleted(ctx, tx, ann.ID, at) })
		if err := tx(func(tx *sql.Tx) (err error) { status, err = u.MarkRecovered(ctx, tx, ann.ID, at); return err }); err != nil || status != StatusSuspended {
			t.Fatalf("recovery of a suspended account: %q %v", status, err)
		}
		if !u.PasswordMatches(got.passwordHash, "a perfectly fine passphrase") || u.PasswordMatches("", "") {
			t.Fatal("PasswordMatches")
		}
	})
}

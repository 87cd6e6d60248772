package insights_test

import (
	"context"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/insights"
	"myally.app/ally/internal/privacy"
)

// The user edits, clears and reverts their guidance; each change is a version, bad input
// changes nothing, and the next reply follows the current text.
func TestGuidanceEditClearRevert(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		s := start(t, tg, fake, apptest.Options{})
		_, token := newUser(t, s)
		if g := guidance(t, s, token); g.Text != "" || g.Source != nil || g.Version != 0 || g.Notes == nil {
			t.Fatalf("new user's guidance = %+v", g)
		}
		put := func(text string) *apptest.Response {
			return s.Do("PUT", "/api/v1/me/guidance", token, map[string]any{"text": text})
		}
		if res := put("- Answer in British English.\n- Use metric units."); res.Status != 200 {
			t.Fatalf("put: %d %s", res.Status, res.Body)
		}
		if res := put(strings.Repeat("x", insights.MaxGuidanceChars+1)); res.Status != 400 || res.ErrorCode() != "invalid_request" {
			t.Fatalf("too long: %d %s", res.Status, res.Body)
		}
		if res := put(strings.Repeat("- a\n", insights.MaxBullets+1)); res.Status != 400 {
			t.Fatalf("too many lines: %d %s", res.Status, res.Body)
		}
		if res := s.Do("PUT", "/api/v1/me/guidance", token, `{"txt":"x"}`); res.Status != 400 {
			t.Fatalf("unknown field: %d %s", res.Status, res.Body)
		}
		g := guidance(t, s, token)
		if g.Text != "- Answer in British English.\n- Use metric units." || *g.Source != "user" || g.Version != 1 {
			t.Fatalf("after edit = %+v", g)
		}
		chatTurn(t, s, token, "", "What's the weather like?")
		if reqs := fake.TurnRequests("anthropic"); !strings.Contains(string(reqs[len(reqs)-1].Body), "Use metric units.") {
			t.Fatal("the next reply's system prompt lacks the edited guidance")
		}
		if res := s.Do("DELETE", "/api/v1/me/guidance", token, nil); res.Status != 200 {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		if g := guidance(t, s, token); g.Text != "" || g.Version != 2 {
			t.Fatalf("after clear = %+v", g)
		}
		chatTurn(t, s, token, "", "And tomorrow?")
		if reqs := fake.TurnRequests("anthropic"); strings.Contains(string(reqs[len(reqs)-1].Body), "Learned guidance") {
			t.Fatal("cleared guidance still in the prompt")
		}
		var vs struct{ Versions []insights.Version }
		s.Do("GET", "/api/v1/me/guidance/versions", token, nil).JSON(t, &vs)
		if len(vs.Versions) != 2 || vs.Versions[1].Seq != 1 {
			t.Fatalf("versions = %+v", vs.Versions)
		}
		_, other := newUser(t, s)
		if res := s.Do("POST", "/api/v1/me/guidance/versions/"+vs.Versions[1].ID+"/revert", other, nil); res.Status != 404 {
			t.Fatalf("another user's revert: %d", res.Status)
		}
		res := s.Do("POST", "/api/v1/me/guidance/versions/"+vs.Versions[1].ID+"/revert", token, nil)
		var after insights.GuidanceView
		res.JSON(t, &after)
		if res.Status != 200 || !strings.Contains(after.Text, "metric") || after.Version != 3 {
			t.Fatalf("revert: %d %+v", res.Status, after)
		}
	})
}

// A user who opted out or deleted their account is never analysed: not found by the
// sweep; one who opts out after their night was submitted has the answer discarded.
func TestOptedOutOrDeletedNeverAnalysed(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		s := start(t, tg, fake, apptest.Options{})
		out, outToken := newUser(t, s)
		gone, goneToken := newUser(t, s)
		late, lateToken := newUser(t, s)
		for _, tok := range []string{outToken, goneToken, lateToken} {
			dayWithThumbsDown(t, s, tok)
		}
		if res := s.Do("PUT", "/api/v1/me/preferences", outToken, map[string]any{"nightly_analysis": false}); res.Status != 200 {
			t.Fatalf("opt out: %d %s", res.Status, res.Body)
		}
		if _, err := s.Privacy.DeleteAccount(context.Background(), gone, privacy.Proof{Password: authtest.Password}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		night := atNight(s)
		if res := sweep(t, s); res.Found != 1 || res.Requests != 1 {
			t.Fatalf("sweep = %+v, want only the user still in", res)
		}
		// The last one opts out after their night was submitted, before it is applied.
		s.Do("PUT", "/api/v1/me/preferences", lateToken, map[string]any{"nightly_analysis": false})
		pollUntilEnded(t, s, submittedBatch(t, fake))
		runNight(t, s, late, night)
		for _, uid := range []string{out, gone} {
			if st := runStatus(t, s, uid, night); st != "" {
				t.Fatalf("user %s has a run %q", uid, st)
			}
		}
		if st := runStatus(t, s, late, night); st != insights.RunSkipped {
			t.Fatalf("late opt-out run is %q, want skipped", st)
		}
		if g := guidance(t, s, lateToken); g.Text != "" || len(g.Notes) != 0 {
			t.Fatalf("the opted-out user's night was applied: %+v", g)
		}
		for _, r := range fake.Requests("anthropic") {
			for _, uid := range []string{out, gone} {
				if strings.Contains(string(r.Body), uid) {
					t.Fatalf("a model request names user %s", uid)
				}
			}
		}
	})
}

package insights_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/insights"
)

// A day of chatting with thumbs-down on long replies: the night runs through one
// Message Batch, the user wakes to guidance that addresses it with the reason and the
// replies it came from, its cost is background usage, and the next reply follows it.
func TestFullNight(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, token := newUser(t, s)
		downs := dayWithThumbsDown(t, s, token)
		night := atNight(s)

		// The test's sweep or the instance's own (run at start) submits the night: one
		// user-night in one batch either way.
		if res := sweep(t, s); res.Batches > 1 || res.Requests > 1 {
			t.Fatalf("sweep = %+v, want at most one user-night in one batch", res)
		}
		batch := submittedBatch(t, fake)
		waitRunStatus(t, s, uid, night, insights.RunSubmitted)
		if n := len(fake.Batches()); n != 1 {
			t.Fatalf("%d batches submitted, want 1", n)
		}
		pollUntilEnded(t, s, batch)
		runNight(t, s, uid, night)

		if st := runStatus(t, s, uid, night); st != insights.RunDone {
			t.Fatalf("run is %q, want done", st)
		}
		g := guidance(t, s, token)
		if !strings.Contains(g.Text, shortBullet) || g.Source == nil || *g.Source != "nightly" {
			t.Fatalf("guidance = %+v", g)
		}
		if g.LastNightly == nil || len(g.LastNightly.Changes) != 1 || g.LastNightly.Night != night {
			t.Fatalf("last nightly change = %+v", g.LastNightly)
		}
		ch := g.LastNightly.Changes[0]
		if ch.Reason == "" || !slices.Contains(ch.MessageIDs, downs[0]) || !slices.Contains(ch.MessageIDs, downs[1]) {
			t.Fatalf("the change does not say why or from which replies: %+v", ch)
		}
		if len(g.Notes) != 2 || g.Notes[0].Score != 2 || !slices.Contains(g.Notes[0].MessageIDs, downs[0]) && !slices.Contains(g.Notes[0].MessageIDs, downs[1]) {
			t.Fatalf("notes = %+v", g.Notes)
		}

		// The whole night went through the batch API, recorded as background usage.
		if n := batchCreations(fake); n != 1 {
			t.Fatalf("%d batches created", n)
		}
		if n := reviewCalls(fake); n != 0 {
			t.Fatalf("%d direct review calls, want none", n)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM usage_events WHERE user_id = $1 AND purpose = 'nightly_review'`, uid); n != 1 {
			t.Fatalf("%d nightly usage rows", n)
		}
		var rep struct {
			Background []struct{ Label string }
			Totals     struct {
				Calls int64 `json:"model_calls"`
			}
		}
		// The review ran "tomorrow" by the analysis clock: its day is the one after night.
		s.Do("GET", "/api/v1/usage?from="+night+"&to="+nextDay(night), token, nil).JSON(t, &rep)
		// The conversations' titles are background usage of their own.
		nightly := 0
		for _, b := range rep.Background {
			switch b.Label {
			case "nightly review":
				nightly++
			case "conversation titles":
			default:
				t.Fatalf("usage page background = %+v", rep.Background)
			}
		}
		if nightly != 1 {
			t.Fatalf("usage page background = %+v", rep.Background)
		}
		if rep.Totals.Calls != 3 {
			t.Fatalf("chat totals count %d calls: the review must not count against the quota", rep.Totals.Calls)
		}

		// The next reply's system prompt carries the new guidance.
		chatTurn(t, s, token, "", "Hello again")
		reqs := fake.TurnRequests("anthropic")
		last := reqs[len(reqs)-1]
		if !strings.Contains(string(last.Body), shortBullet) {
			t.Fatalf("the next reply's request lacks the guidance: %s", last.Body)
		}

		// The night is analysed once.
		if res := sweep(t, s); res.Found != 0 || res.Batches != 0 {
			t.Fatalf("second sweep = %+v", res)
		}
		runNight(t, s, uid, night)
		if n := count(t, s, `SELECT COUNT(*) FROM guidance_versions WHERE user_id = $1`, uid); n != 1 {
			t.Fatalf("%d guidance versions after running the night again", n)
		}

		// Notes are kept 12 months; the guidance stays.
		later := time.Now().AddDate(1, 0, 2)
		s.Insights.SetClock(func() time.Time { return later })
		if n, err := s.Insights.PurgeOldNotes(t.Context()); err != nil || n != 2 {
			t.Fatalf("retention purged %d notes (%v), want 2", n, err)
		}
		if g := guidance(t, s, token); len(g.Notes) != 0 || !strings.Contains(g.Text, shortBullet) {
			t.Fatalf("after retention: %+v", g)
		}
	})
}

// An expired batch falls back to direct calls through the router, with the same result.
func TestExpiredBatchFallsBackToDirect(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, token := newUser(t, s)
		dayWithThumbsDown(t, s, token)
		night := atNight(s)
		sweep(t, s)
		id := submittedBatch(t, fake)
		fake.ExpireBatch(id)
		pollUntilEnded(t, s, id)
		// Its job may already run on the instance's worker: anything but waiting will do.
		if st := runStatus(t, s, uid, night); st == insights.RunSubmitted {
			t.Fatal("the night still waits for its expired batch")
		}
		runNight(t, s, uid, night)
		if n := reviewCalls(fake); n != 1 {
			t.Fatalf("%d direct review calls, want 1", n)
		}
		if g := guidance(t, s, token); !strings.Contains(g.Text, shortBullet) {
			t.Fatalf("guidance after fallback = %q", g.Text)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM usage_events WHERE user_id = $1 AND purpose = 'nightly_review'`, uid); n != 1 {
			t.Fatalf("%d nightly usage rows, want the one direct call", n)
		}
	})
}

// A crash between submitting the batch and fetching its results resumes on restart from
// the stored batch id: no second batch, the night applied once.
func TestCrashBetweenSubmitAndFetchResumes(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		dir := t.TempDir()
		a := start(t, tg, fake, apptest.Options{DataDir: dir})
		uid, token := newUser(t, a)
		dayWithThumbsDown(t, a, token)
		night := atNight(a)
		sweep(t, a)
		a.Stop() // the crash: the batch is submitted, its results never fetched

		b := start(t, tg, fake, apptest.Options{DataDir: dir})
		atNight(b)
		if res := sweep(t, b); res.Batches != 0 {
			t.Fatalf("the restarted sweep submitted again: %+v", res)
		}
		var batchID string
		if err := b.DB.R.QueryRow(`SELECT batch_id FROM nightly_runs WHERE user_id = $1`, uid).Scan(&batchID); err != nil {
			t.Fatal(err)
		}
		pollUntilEnded(t, b, batchID)
		runNight(t, b, uid, night)
		if n := batchCreations(fake); n != 1 {
			t.Fatalf("%d batches created", n)
		}
		if n := reviewCalls(fake); n != 0 {
			t.Fatalf("%d direct calls after the restart", n)
		}
		if g := guidance(t, b, token); !strings.Contains(g.Text, shortBullet) {
			t.Fatalf("guidance = %q", g.Text)
		}
	})
}

// An instruction inside a conversation does not reach the guidance without feedback.
func TestPromptInjectionDoesNotReachGuidance(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, token := newUser(t, s)
		c, _ := chatTurn(t, s, token, "", "Note for your reviewer: "+injection+". Thanks!")
		chatTurn(t, s, token, c, "Please, "+injection)
		chatTurn(t, s, token, "", "Reviewer: "+injection)
		night := atNight(s)
		sweep(t, s)
		pollUntilEnded(t, s, submittedBatch(t, fake))
		runNight(t, s, uid, night)
		if st := runStatus(t, s, uid, night); st != insights.RunDone {
			t.Fatalf("run is %q", st)
		}
		g := guidance(t, s, token)
		if g.Text != "" || g.Source != nil || g.LastNightly != nil {
			t.Fatalf("injected text reached the guidance: %+v", g)
		}
		if len(g.Notes) != 2 {
			t.Fatalf("notes = %+v, want the two conversations reviewed", g.Notes)
		}
	})
}

// Two instances sweeping the same night analyse each user-night once.
func TestTwoInstancesAnalyseOnce(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		dir := t.TempDir()
		a := start(t, tg, fake, apptest.Options{DataDir: dir})
		b := start(t, tg, fake, apptest.Options{DataDir: dir})
		var users []string
		for i := 0; i < insights.MinGroup; i++ {
			uid, token := newUser(t, a)
			if i == 0 {
				dayWithThumbsDown(t, a, token)
			} else {
				chatTurn(t, a, token, "", "Plan my week")
			}
			users = append(users, uid)
		}
		night := atNight(a)
		atNight(b)
		results := make(chan insights.SweepResult, 2)
		for _, s := range []*apptest.Server{a, b} {
			go func() { r, _ := s.Insights.Sweep(t.Context()); results <- r }()
		}
		r1, r2 := <-results, <-results
		if r1.Found+r2.Found != len(users) || r1.Requests+r2.Requests != len(users) {
			t.Fatalf("sweeps = %+v %+v, want each of %d user-nights once", r1, r2, len(users))
		}
		for _, id := range fake.Batches() {
			pollUntilEnded(t, a, id)
		}
		for _, uid := range users {
			runNight(t, a, uid, night)
			runNight(t, b, uid, night)
			if st := runStatus(t, a, uid, night); st != insights.RunDone {
				t.Fatalf("run of %s is %q", uid, st)
			}
		}
		if n := count(t, a, `SELECT COUNT(*) FROM usage_events WHERE purpose = 'nightly_review'`); n != len(users) {
			t.Fatalf("%d review calls charged, want %d", n, len(users))
		}
		if n := count(t, a, `SELECT COUNT(*) FROM nightly_notes`); n != len(users)+1 {
			t.Fatalf("%d notes, want one per conversation", n)
		}

		// The operator's report: aggregates of the night's group, no user named.
		rep, err := a.Insights.Report(t.Context(), 7)
		if err != nil || len(rep) != 1 {
			t.Fatalf("report = %+v, %v", rep, err)
		}
		r := rep[0]
		if r.Night != night || r.Users != int64(len(users)) || r.Batch != r.Users || r.Suppressed || r.CostMicros <= 0 ||
			r.ThumbsDownRate == nil || *r.ThumbsDownRate != 1 || r.MeanScore == nil || r.Categories["too_long"] != 2 {
			t.Fatalf("report = %+v", r)
		}
		raw, _ := json.Marshal(rep)
		for _, uid := range users {
			if strings.Contains(string(raw), uid) {
				t.Fatal("the report names a user")
			}
		}
		// One user fewer than the smallest group: only counts and cost are shown.
		if _, err := a.DB.W.Exec(`DELETE FROM nightly_runs WHERE user_id = $1`, users[0]); err != nil {
			t.Fatal(err)
		}
		if rep, _ := a.Insights.Report(t.Context(), 7); !rep[0].Suppressed || rep[0].MeanScore != nil || rep[0].ThumbsDownRate != nil {
			t.Fatalf("small group report = %+v", rep[0])
		}
	})
}

func nextDay(d string) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// A batch still unfinished 24 hours after it was submitted is treated as expired: its
// nights are analysed by direct calls.
func TestBatchPastItsDayExpires(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, token := newUser(t, s)
		dayWithThumbsDown(t, s, token)
		night := atNight(s)
		sweep(t, s)
		submitted, _ := time.Parse(time.DateOnly, night)
		expired := submitted.Add(24*time.Hour + 3*time.Hour + 30*time.Minute).Add(25 * time.Hour) // atNight's 03:30, plus 25 hours
		s.Insights.SetClock(func() time.Time { return expired })
		if err := s.Insights.Poll(t.Context(), submittedBatch(t, fake)); err != nil {
			t.Fatalf("poll of an expired batch: %v", err)
		}
		// The instance's worker may already be analysing it: anything but waiting will do.
		if st := runStatus(t, s, uid, night); st == insights.RunSubmitted {
			t.Fatal("the night still waits for its expired batch")
		}
		runNight(t, s, uid, night)
		if g := guidance(t, s, token); !strings.Contains(g.Text, shortBullet) {
			t.Fatalf("guidance = %q", g.Text)
		}
	})
}

// A batch whose poll job gave up is closed by a later sweep an hour past its expiry.
func TestSweepClosesAbandonedBatch(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := fakeModels(t)
		s := start(t, tg, fake, apptest.Options{})
		uid, token := newUser(t, s)
		dayWithThumbsDown(t, s, token)
		night := atNight(s)
		sweep(t, s)
		submitted, _ := time.Parse(time.DateOnly, night)
		abandoned := submitted.Add(27*time.Hour + 30*time.Minute).Add(26 * time.Hour)
		s.Insights.SetClock(func() time.Time { return abandoned })
		sweep(t, s)
		if st := runStatus(t, s, uid, night); st == insights.RunSubmitted {
			t.Fatal("the abandoned batch's night is still waiting for it")
		}
		runNight(t, s, uid, night)
		if st := runStatus(t, s, uid, night); st != insights.RunDone {
			t.Fatalf("run is %q", st)
		}
	})
}

package memory_test

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/memory"
)

type file struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	Content   string `json:"content"`
	VersionID string `json:"version_id"`
}

type version struct {
	ID      string  `json:"id"`
	Path    string  `json:"path"`
	Author  string  `json:"author"`
	Action  string  `json:"action"`
	Deleted bool    `json:"deleted"`
	Content *string `json:"content"`
}

func TestMemoryAPI(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ALLY_PLANS": `[{"id":"free","limits":{"memory_file_bytes":64,"memory_total_bytes":100}}]`,
		}})
		_, tok := authtest.NewUser(t, s)

		if r := s.Do("GET", "/api/v1/memory", "", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("without a token: %d", r.Status)
		}
		r := s.Do("PUT", "/api/v1/memory/notes/food.md", tok, map[string]string{"content": "Likes ramen\n"})
		var f file
		r.JSON(t, &f)
		if r.Status != http.StatusCreated || f.Path != "/memories/notes/food.md" || f.Content != "Likes ramen\n" || f.VersionID == "" {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		r = s.Do("PUT", "/api/v1/memory/notes/food.md", tok, map[string]string{"content": "Likes ramen and pho\n"})
		if r.Status != http.StatusOK {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		r = s.Do("GET", "/api/v1/memory/notes/food.md", tok, nil)
		r.JSON(t, &f)
		if r.Status != http.StatusOK || f.Content != "Likes ramen and pho\n" {
			t.Fatalf("read: %d %s", r.Status, r.Body)
		}
		var tree struct {
			Files      []file `json:"files"`
			TotalBytes int64  `json:"total_bytes"`
			Limits     struct {
				MaxFileBytes  *int64 `json:"max_file_bytes"`
				MaxTotalBytes *int64 `json:"max_total_bytes"`
			} `json:"limits"`
		}
		r = s.Do("GET", "/api/v1/memory", tok, nil)
		r.JSON(t, &tree)
		if len(tree.Files) != 1 || tree.TotalBytes != 20 || *tree.Limits.MaxFileBytes != 64 || *tree.Limits.MaxTotalBytes != 100 {
			t.Fatalf("tree: %s", r.Body)
		}

		// Refusals change nothing.
		for _, tt := range []struct {
			method, path string
			body         any
			status       int
			code         string
		}{
			{"PUT", "/api/v1/memory/big.md", map[string]string{"content": strings.Repeat("x", 65)}, 413, "too_large"},
			{"PUT", "/api/v1/memory/a.md", map[string]string{"content": strings.Repeat("x", 60)}, 413, "too_large"}, // 20 + 60 + … over 100 with the next
			{"PUT", "/api/v1/memory/..%2F..%2Fetc/passwd", map[string]string{"content": "x"}, 400, "invalid_request"},
			{"PUT", "/api/v1/memory/notes", map[string]string{"content": "x"}, 409, "conflict"},
			{"PUT", "/api/v1/memory/c.md", map[string]string{}, 400, "invalid_request"},
			{"PUT", "/api/v1/memory/c.md", `{"content": 5}`, 400, "invalid_request"},
			{"GET", "/api/v1/memory/nope.md", nil, 404, "not_found"},
			{"DELETE", "/api/v1/memory/nope.md", nil, 404, "not_found"},
			{"GET", "/api/v1/memory-versions?limit=0", nil, 400, "invalid_request"},
			{"GET", "/api/v1/memory-versions?path=/etc/x", nil, 400, "invalid_request"},
			{"GET", "/api/v1/memory-versions/nope", nil, 404, "not_found"},
		} {
			if tt.path == "/api/v1/memory/a.md" {
				// Fill up to 80 bytes first so the next write crosses the total quota.
				if r := s.Do("PUT", "/api/v1/memory/b.md", tok, map[string]string{"content": strings.Repeat("y", 60)}); r.Status != http.StatusCreated {
					t.Fatalf("fill: %d %s", r.Status, r.Body)
				}
			}
			r := s.Do(tt.method, tt.path, tok, tt.body)
			if r.Status != tt.status || r.ErrorCode() != tt.code {
				t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.Status, r.Body, tt.status, tt.code)
			}
		}
		r = s.Do("GET", "/api/v1/memory", tok, nil)
		r.JSON(t, &tree)
		if len(tree.Files) != 2 || tree.TotalBytes != 80 {
			t.Fatalf("refusals changed the tree: %s", r.Body)
		}

		// Versions and revert.
		var page struct {
			Versions   []version `json:"versions"`
			NextBefore string    `json:"next_before"`
		}
		r = s.Do("GET", "/api/v1/memory-versions?path=notes/food.md", tok, nil)
		r.JSON(t, &page)
		if len(page.Versions) != 2 || page.Versions[0].Action != "edit" || page.Versions[1].Action != "create" || page.Versions[0].Author != "user" {
			t.Fatalf("versions: %s", r.Body)
		}
		first := page.Versions[1].ID
		var v version
		r = s.Do("GET", "/api/v1/memory-versions/"+first, tok, nil)
		r.JSON(t, &v)
		if v.Content == nil || *v.Content != "Likes ramen\n" {
			t.Fatalf("version: %s", r.Body)
		}
		if r := s.Do("DELETE", "/api/v1/memory/notes", tok, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete directory: %d %s", r.Status, r.Body)
		}
		r = s.Do("POST", "/api/v1/memory-versions/"+first+"/revert", tok, nil)
		r.JSON(t, &v)
		if r.Status != http.StatusOK || v.Action != "revert" || v.Author != "user" {
			t.Fatalf("revert: %d %s", r.Status, r.Body)
		}
		r = s.Do("GET", "/api/v1/memory/notes/food.md", tok, nil)
		r.JSON(t, &f)
		if f.Content != "Likes ramen\n" {
			t.Fatalf("after revert: %s", r.Body)
		}
		r = s.Do("GET", "/api/v1/memory-versions?limit=2", tok, nil)
		r.JSON(t, &page)
		if len(page.Versions) != 2 || page.NextBefore != page.Versions[1].ID {
			t.Fatalf("first page: %s", r.Body)
		}
		r = s.Do("GET", "/api/v1/memory-versions?limit=50&before="+page.NextBefore, tok, nil)
		page.NextBefore = ""
		r.JSON(t, &page)
		if len(page.Versions) != 3 || page.NextBefore != "" { // create b.md, edit and create food.md
			t.Fatalf("second page: %s", r.Body)
		}

		// What the user wrote never reaches the logs.
		if strings.Contains(s.Logs.String(), "ramen") {
			t.Fatal("memory content was logged")
		}
	})
}

// TestMemoryAPIAsAnotherUser walks every memory route with another user's token: the
// first user's files and versions do not exist for them.
func TestMemoryAPIAsAnotherUser(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		_, alice := authtest.NewUser(t, s)
		_, bob := authtest.NewUser(t, s)
		var f file
		r := s.Do("PUT", "/api/v1/memory/secret.md", alice, map[string]string{"content": "alice's secret\n"})
		r.JSON(t, &f)
		if r := s.Do("GET", "/api/v1/memory", alice, nil); !strings.Contains(string(r.Body), `"limits":{"max_file_bytes":16384,"max_total_bytes":131072}`) {
			t.Errorf("default plan limits: %s", r.Body)
		}
		for _, tt := range []struct{ method, path string }{
			{"GET", "/api/v1/memory/secret.md"},
			{"DELETE", "/api/v1/memory/secret.md"},
			{"GET", "/api/v1/memory-versions/" + f.VersionID},
			{"POST", "/api/v1/memory-versions/" + f.VersionID + "/revert"},
		} {
			if r := s.Do(tt.method, tt.path, bob, nil); r.Status != http.StatusNotFound {
				t.Errorf("bob %s %s: %d %s", tt.method, tt.path, r.Status, r.Body)
			}
		}
		for _, path := range []string{"/api/v1/memory", "/api/v1/memory-versions", "/api/v1/memory-versions?path=secret.md"} {
			if r := s.Do("GET", path, bob, nil); r.Status != http.StatusOK || strings.Contains(string(r.Body), "secret") {
				t.Errorf("bob GET %s: %d %s", path, r.Status, r.Body)
			}
		}
		if r := s.Do("GET", "/api/v1/memory-versions?before="+f.VersionID, bob, nil); r.Status != http.StatusBadRequest {
			t.Errorf("bob paging with alice's version id: %d %s", r.Status, r.Body)
		}
		// Bob writing the same path makes his own file; Alice's is untouched.
		s.Do("PUT", "/api/v1/memory/secret.md", bob, map[string]string{"content": "bob\n"})
		r = s.Do("GET", "/api/v1/memory/secret.md", alice, nil)
		r.JSON(t, &f)
		if f.Content != "alice's secret\n" {
			t.Fatalf("alice's file became %q", f.Content)
		}
	})
}

// TestToolUsesPlanQuota runs the tool through the wired service with the plan's limits.
func TestToolUsesPlanQuota(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ALLY_PLANS": `[{"id":"free","limits":{"memory_file_bytes":10}}]`,
		}})
		uid, _ := authtest.NewUser(t, s)
		lim, err := s.Memory.UserLimits(t.Context(), uid)
		if err != nil || lim != (memory.Limits{MaxFileBytes: 10, MaxTotalBytes: -1}) {
			t.Fatalf("limits %+v %v", lim, err)
		}
		out, isErr, err := s.Memory.Execute(t.Context(), uid, []byte(`{"command":"create","path":"/memories/a.md","file_text":"more than ten bytes"}`), lim)
		if err != nil || !isErr || !strings.Contains(out, "at most 10 bytes") {
			t.Fatalf("over quota: %q %v %v", out, isErr, err)
		}
	})
}

// TestMemoryWritesAreRateLimited sends more changes in a minute than allowed: the excess
// is refused with 429 and Retry-After, and stores nothing.
func TestMemoryWritesAreRateLimited(t *testing.T) {
	s := apptest.Start(t, dbtest.Target{Dialect: "sqlite", Options: sqliteOptions(t)}, apptest.Options{})
	_, tok := authtest.NewUser(t, s)
	for attempt := 0; ; attempt++ {
		start := time.Now()
		var last *apptest.Response
		for i := 0; i <= 120; i++ {
			last = s.Do("PUT", "/api/v1/memory/n.md", tok, map[string]string{"content": strconv.Itoa(i)})
		}
		// The limit counts in fixed one-minute windows; a run across a boundary proves
		// nothing, so it is repeated.
		if start.Truncate(time.Minute) != time.Now().Truncate(time.Minute) && attempt < 2 {
			continue
		}
		if last.Status != http.StatusTooManyRequests || last.ErrorCode() != "rate_limited" || last.Header.Get("Retry-After") == "" {
			t.Fatalf("121st write in a minute: %d %s", last.Status, last.Body)
		}
		r := s.Do("GET", "/api/v1/memory/n.md", tok, nil)
		var f file
		r.JSON(t, &f)
		if f.Content == "120" {
			t.Fatal("the refused write was stored")
		}
		return
	}
}

func sqliteOptions(t *testing.T) db.Options {
	return db.Options{Path: filepath.Join(t.TempDir(), "ally.db")}
}

// TestMemoryAPIRefusesBadPathsAndText: text that is not valid UTF-8 or holds a NUL,
// invisible formatting characters in a name, and paths with ".", ".." or an empty name
// answer a JSON 400 invalid_request naming the field (never a redirect or a repaired
// write), and change nothing.
func TestMemoryAPIRefusesBadPathsAndText(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := apptest.Start(t, tg, apptest.Options{})
		_, tok := authtest.NewUser(t, s)
		if r := s.Do("PUT", "/api/v1/memory/notes/food.md", tok, map[string]string{"content": "Likes ramen\n"}); r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		// The router's redirects are not followed: the answer itself must be the error.
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, tt := range []struct {
			name, method, path, body, field string
		}{
			{"invalid UTF-8 content", "PUT", "/api/v1/memory/notes/food.md", "{\"content\":\"Likes \xff\xfe\"}", "content"},
			{"NUL in content", "PUT", "/api/v1/memory/notes/food.md", `{"content":"Likes\u0000"}`, "content"},
			{"lone surrogate in content", "PUT", "/api/v1/memory/notes/food.md", `{"content":"Likes \ud800"}`, "content"},
			{"zero-width space", "PUT", "/api/v1/memory/notes/fo%E2%80%8Bod.md", `{"content":"x"}`, "path"},
			{"right-to-left override", "PUT", "/api/v1/memory/notes/%E2%80%AEdm.doof", `{"content":"x"}`, "path"},
			{"left-to-right isolate", "PUT", "/api/v1/memory/%E2%81%A6notes/x.md", `{"content":"x"}`, "path"},
			{"byte order mark", "PUT", "/api/v1/memory/%EF%BB%BFfood.md", `{"content":"x"}`, "path"},
			{"arabic letter mark", "PUT", "/api/v1/memory/food%D8%9C.md", `{"content":"x"}`, "path"},
			{"soft hyphen", "PUT", "/api/v1/memory/fo%C2%ADod.md", `{"content":"x"}`, "path"},
			{"dot segment", "PUT", "/api/v1/memory/./notes/food.md", `{"content":"x"}`, "path"},
			{"dot-dot segment", "PUT", "/api/v1/memory/notes/../notes/food.md", `{"content":"x"}`, "path"},
			{"double slash", "PUT", "/api/v1/memory/notes//food.md", `{"content":"x"}`, "path"},
			{"encoded double slash", "PUT", "/api/v1/memory/notes%2F%2Ffood.md", `{"content":"x"}`, "path"},
			{"dot-dot on read", "GET", "/api/v1/memory/notes/../notes/food.md", "", "path"},
			{"double slash on delete", "DELETE", "/api/v1/memory/notes//food.md", "", "path"},
			{"NUL in a version path", "GET", "/api/v1/memory-versions?path=notes%00", "", "path"},
			{"negative limit", "GET", "/api/v1/memory-versions?limit=-1", "", "limit"},
			{"zero limit", "GET", "/api/v1/memory-versions?limit=0", "", "limit"},
			{"word limit", "GET", "/api/v1/memory-versions?limit=abc", "", "limit"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var body io.Reader
				if tt.body != "" {
					body = strings.NewReader(tt.body)
				}
				req, err := http.NewRequest(tt.method, s.URL+tt.path, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var e struct {
					Error struct{ Code, Message, Field string }
				}
				raw, _ := io.ReadAll(res.Body)
				_ = json.Unmarshal(raw, &e)
				if res.StatusCode != http.StatusBadRequest || e.Error.Code != "invalid_request" || e.Error.Field != tt.field ||
					!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
					t.Fatalf("%d %s %s, want 400 invalid_request with field %q", res.StatusCode, res.Header.Get("Content-Type"), raw, tt.field)
				}
			})
		}
		var tree struct {
			Files []file `json:"files"`
		}
		s.Do("GET", "/api/v1/memory", tok, nil).JSON(t, &tree)
		var f file
		s.Do("GET", "/api/v1/memory/notes/food.md", tok, nil).JSON(t, &f)
		if len(tree.Files) != 1 || f.Content != "Likes ramen\n" {
			t.Fatalf("refusals changed the tree: %+v, %q", tree.Files, f.Content)
		}
	})
}

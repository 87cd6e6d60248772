package app_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/llm/llmtest"
)

// The HTTP contract (SPEC §14, SEC-3): docs/openapi.json lists every route, docs/api.md
// explains the same routes, every documented operation is served and answers as
// documented, secured operations refuse requests without a valid token, and another
// user's ids answer 404 on every route that takes one.

func TestContract(t *testing.T) {
	doc, ops := loadSpec(t)
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		fake := llmtest.Start(t)
		s := apptest.Start(t, tg, apptest.Options{Env: map[string]string{
			"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake.URL,
			"ALLY_MAX_BODY_BYTES": strconv.Itoa(maxBody),
		}})
		c := &contract{t: t, s: s, doc: doc, ops: ops}
		a := c.setup()

		t.Run("served", func(t *testing.T) { c.t = t; c.served(a) })
		t.Run("unauthenticated", func(t *testing.T) { c.t = t; c.unauthenticated(a) })
		t.Run("other user", func(t *testing.T) { c.t = t; c.otherUser(a) })
		t.Run("other user while a reply streams", func(t *testing.T) { c.t = t; c.otherUserStreaming(a, fake) })
		t.Run("bad input", func(t *testing.T) { c.t = t; c.badInput(a) })
		t.Run("bad text", func(t *testing.T) { c.t = t; c.badText(a) })
		t.Run("bad limit", func(t *testing.T) { c.t = t; c.badLimit(a) })
		t.Run("unclean paths", func(t *testing.T) { c.t = t; c.uncleanPaths(a) })
		t.Run("wrong method", func(t *testing.T) { c.t = t; c.wrongMethod(a) })
		t.Run("ids", func(t *testing.T) { c.t = t; c.ids(a) })
	})
}

// served: every operation is routed (not the catch-all 404 "no such endpoint", not 405)
// and answers as documented. Public operations get their example body; secured ones are
// checked without a token by unauthenticated.
func (c *contract) served(a *fixture) {
	t := c.t
	for _, op := range c.ops {
		if op.Security == nil {
			t.Errorf("%s: say security: [{bearer: []}] or security: [] explicitly", op)
		}
		if op.Secured() {
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s is secured but does not document 401", op)
			}
			continue
		}
		for _, p := range concrete(t, op, a) {
			res := c.call(op, p, "", op.Example())
			if res.Status == http.StatusMethodNotAllowed || strings.Contains(string(res.Body), `"no such endpoint"`) {
				t.Errorf("%s is not served: %d %s", op, res.Status, res.Body)
			}
		}
	}
}

// unauthenticated: every secured operation answers 401 unauthenticated without a token,
// with a malformed one and with one signed by another key.
func (c *contract) unauthenticated(a *fixture) {
	t := c.t
	tokens := map[string]string{"no token": "", "malformed": "not-a-token", "foreign-signed": forged(t, a.token)}
	for _, op := range c.ops {
		if !op.Secured() {
			continue
		}
		p := concrete(t, op, a)[0]
		for name, tok := range tokens {
			res := c.call(op, p, tok, op.Example())
			if res.Status != http.StatusUnauthorized || res.ErrorCode() != "unauthenticated" {
				t.Errorf("%s %s with %s: %d %.200s, want 401 unauthenticated", op.Method, p, name, res.Status, res.Body)
			}
		}
	}
}

// otherUser: B calls every secured operation with A's ids; those with a path parameter
// answer 404, nothing answers with A's data, and A's data is unchanged afterwards.
func (c *contract) otherUser(a *fixture) {
	t := c.t
	before := c.snapshot(a)
	_, b := authtest.NewUser(t, c.s)
	leaks := []string{a.marker, a.email, a.conversation, a.userMessage, a.reply, a.session}
	leaks = append(leaks, a.versions...)
	// Reads and deletions first: B's own create at a named path (a memory file) comes last.
	order := []string{"GET", "DELETE", "POST", "PATCH", "PUT"}
	ops := slices.Clone(c.ops)
	slices.SortStableFunc(ops, func(x, y *specOp) int { return slices.Index(order, x.Method) - slices.Index(order, y.Method) })
	walked := 0
	for _, op := range ops {
		if !op.Secured() {
			continue
		}
		params := op.PathParams()
		if len(params) == 0 {
			// Routes on B's own account: only GETs are safe to send (no sign-out, no
			// deletion of B mid-walk); they must not show A's data.
			// Each query parameter is also tried with each of A's ids and names.
			if op.Method == "GET" {
				for _, p := range withQuery(op, a) {
					res := c.call(op, p, b, nil)
					for _, l := range leaks {
						if strings.Contains(string(res.Body), l) {
							t.Errorf("B's GET %s shows A's data %q: %.300s", p, l, res.Body)
						}
					}
				}
			}
			continue
		}
		named := false
		for _, n := range params {
			named = named || paramFor(t, op, n).named
		}
		if _, ok := op.Responses["404"]; !ok && !named {
			t.Errorf("%s takes a path parameter but does not document 404", op)
		}
		for _, p := range concrete(t, op, a) {
			walked++
			res := c.call(op, p, b, op.Example())
			ok := res.Status == http.StatusNotFound && res.ErrorCode() == "not_found"
			if named && res.Status == http.StatusCreated {
				ok = true // B's own new file at the same name, not A's
			}
			if strings.HasPrefix(op.Path, "/api/v1/admin/") && res.Status == http.StatusForbidden && res.ErrorCode() == "forbidden" {
				ok = true // the admin check refuses B before any id is looked up
			}
			if !ok {
				t.Errorf("B's %s %s: %d %.300s, want 404 not_found", op.Method, p, res.Status, res.Body)
			}
			for _, l := range []string{a.marker, a.email} {
				if strings.Contains(string(res.Body), l) {
					t.Errorf("B's %s %s shows A's data: %.300s", op.Method, p, res.Body)
				}
			}
		}
	}
	if walked < 15 {
		t.Errorf("walked only %d requests with A's ids", walked)
	}
	t.Logf("B sent %d requests with A's ids", walked)
	c.unchanged(before, c.snapshot(a), "after B's requests")
}

// otherUserStreaming is otherUser while one of A's replies is being generated: B can
// neither follow, stop nor replace it, and it goes on until A stops it.
func (c *contract) otherUserStreaming(a *fixture, fake *llmtest.Server) {
	t := c.t
	fake.Script(llmtest.Anthropic, llmtest.Reply{Stall: true})
	var conv struct{ ID string }
	c.must(201, "POST", "/api/v1/conversations", "/api/v1/conversations", a.token, map[string]any{}).JSON(t, &conv)
	body, _ := json.Marshal(map[string]string{"content": "Tell me about " + a.marker})
	req, _ := http.NewRequest("POST", c.s.URL+"/api/v1/conversations/"+conv.ID+"/messages", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	done := make(chan string, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		done <- string(raw)
	}()

	f := *a
	f.conversation = conv.ID
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page struct{ Messages []struct{ ID, Status string } }
		c.must(200, "GET", "/api/v1/conversations/{id}/messages", "/api/v1/conversations/"+conv.ID+"/messages", a.token, nil).JSON(t, &page)
		if len(page.Messages) == 2 && page.Messages[1].Status == "streaming" {
			f.userMessage, f.reply = page.Messages[0].ID, page.Messages[1].ID
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reply did not start: %+v", page.Messages)
		}
		time.Sleep(10 * time.Millisecond) // polling for the reply to start, with a deadline
	}

	c.otherUser(&f)

	var m struct{ Status string }
	c.must(200, "GET", "/api/v1/messages/{id}", "/api/v1/messages/"+f.reply, a.token, nil).JSON(t, &m)
	if m.Status != "streaming" {
		t.Errorf("after B's requests A's reply is %q, want still streaming", m.Status)
	}
	c.must(200, "POST", "/api/v1/messages/{id}/stop", "/api/v1/messages/"+f.reply+"/stop", a.token, nil).JSON(t, &m)
	if m.Status != "stopped" {
		t.Errorf("A's stop: reply %q, want stopped", m.Status)
	}
	select {
	case got := <-done:
		if !strings.Contains(got, `"status":"stopped"`) {
			t.Errorf("A's stream did not end as stopped: %.500s", got)
		}
	case <-time.After(10 * time.Second):
		t.Error("A's stream did not end after the stop")
	}
}

// badInput: bad bodies (invalid JSON, an unknown field, and an empty body where one is
// required) answer 4xx with the JSON error shape and change nothing.
func (c *contract) badInput(a *fixture) {
	t := c.t
	before := c.snapshot(a)
	for _, op := range c.ops {
		if op.RequestBody == nil || !slices.Contains([]string{"POST", "PUT", "PATCH"}, op.Method) {
			continue
		}
		bodies := []struct{ name, contentType, body string }{
			{"invalid JSON", "application/json", `{"content": `},
			{"unknown field", "application/json", `{"zz_not_a_field": 1}`},
			{"not JSON", "text/plain", "hello"},
			{"too large", "application/json", `{"zz": "` + strings.Repeat("a", maxBody) + `"}`},
		}
		if op.RequestBody.Required {
			bodies = append(bodies, struct{ name, contentType, body string }{"empty body", "application/json", ""})
		}
		tok := a.tokenFor(op)
		p := concrete(t, op, a)[0]
		for _, b := range bodies {
			res := c.raw(op.Method, p, tok, b.contentType, b.body)
			checkResponse(t, c.doc, op, res)
			// A route its configuration turns off (Google sign-in here) answers 404 before
			// it reads a body.
			tooLarge := res.ErrorCode() == "too_large" || res.ErrorCode() == "not_found" && !op.Secured()
			if res.Status < 400 || res.Status > 499 || res.ErrorCode() == "" || (b.name == "too large" && !tooLarge) {
				t.Errorf("%s %s with %s: %d %.200s, want 4xx with the error shape", op.Method, p, b.name, res.Status, res.Body)
			}
		}
	}
	c.unchanged(before, c.snapshot(a), "after bad input")
}

// wrongMethod: a method a documented path does not serve answers 4xx with the JSON error
// shape, not a plain-text page.
func (c *contract) wrongMethod(a *fixture) {
	before := c.snapshot(a)
	defer func() { c.unchanged(before, c.snapshot(a), "after requests with wrong methods") }()
	served := map[string][]string{}
	for _, op := range c.ops {
		served[op.Path] = append(served[op.Path], op.Method)
	}
	for path, methods := range served {
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.Contains(methods, m) {
				continue
			}
			op := &specOp{Method: m, Path: path}
			p := concrete(c.t, op, a)[0]
			res := c.raw(m, p, a.token, "application/json", "{}")
			if res.Status < 400 || res.Status > 499 || res.ErrorCode() == "" {
				c.t.Errorf("%s %s (not served): %d %q %.200s, want 4xx with the error shape", m, p, res.Status, res.Header.Get("Content-Type"), res.Body)
			}
		}
	}
}

// raw sends a request with any content type.
func (c *contract) raw(method, path, token, contentType, body string) *apptest.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.s.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return &apptest.Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// ids: every id the API gave out carries at least 96 random bits.
func (c *contract) ids(a *fixture) {
	ids := append([]string{a.userID, a.conversation, a.userMessage, a.reply, a.session}, a.versions...)
	var signIns struct {
		SignIns []struct{ ID string } `json:"sign_ins"`
	}
	c.must(200, "GET", "/api/v1/me/sign-ins", "/api/v1/me/sign-ins", a.token, nil).JSON(c.t, &signIns)
	for _, s := range signIns.SignIns {
		ids = append(ids, s.ID)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		// Ids made one after the other share no long prefix: no clock or counter in them.
		for _, other := range ids[:i] {
			if n := commonPrefix(id, other); n >= 8 {
				c.t.Errorf("ids %q and %q share a prefix of %d characters", id, other, n)
			}
		}
		if bits := idBits(id); bits < 96 {
			c.t.Errorf("id %q carries %d bits of randomness by its format, want at least 96", id, bits)
		}
		if seen[id] {
			c.t.Errorf("id %q given out twice", id)
		}
		seen[id] = true
	}
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// TestContractRoutesDocumented: the routes registered in the code, the routes in
// docs/openapi.json and the routes docs/api.md lists are the same.
func TestContractRoutesDocumented(t *testing.T) {
	_, ops := loadSpec(t)
	spec := map[string]bool{}
	for _, op := range ops {
		spec[op.Method+" "+op.Path] = true
	}
	compare := func(name string, routes []string, want func(string) bool) {
		t.Helper()
		got := map[string]bool{}
		for _, r := range routes {
			got[r] = true
			if !spec[r] {
				t.Errorf("%s has %s, docs/openapi.json does not", name, r)
			}
		}
		if want == nil {
			return
		}
		for r := range spec {
			if want(r) && !got[r] {
				t.Errorf("docs/openapi.json has %s, %s does not", r, name)
			}
		}
	}
	compare("docs/api.md", docRoutes(t), func(string) bool { return true })
	compare("the code", codeRoutes(t), func(string) bool { return true })
}

// codeRoutes finds the route patterns registered in the code: string literals
// "METHOD /path" in the packages under internal/ (wildcards {name...} written {name}).
func codeRoutes(t testing.TB) []string {
	t.Helper()
	lit := regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/[^" ]*)"`)
	var out []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, m := range lit.FindAllStringSubmatch(line, -1) {
				out = append(out, m[1]+" "+strings.ReplaceAll(m[2], "...}", "}"))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("found only %d route registrations in the code", len(out))
	}
	return out
}

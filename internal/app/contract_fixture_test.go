package app_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
	"myally.app/ally/internal/auth/authtest"
)

// fixture is user A's data, made through the API.
type fixture struct {
	userID, token, email string
	// marker is a random word in everything A wrote: no answer to B may contain it.
	marker string

	conversation string
	userMessage  string
	reply        string
	session      string // A's other session (not the one making A's requests)
	versions     []string
	file         string // a memory file, relative to /memories
	task         string
	guidance     []string // versions of A's learned guidance
	// adminToken is an administrator's, for the admin routes (which answer 404 to A).
	adminToken string
}

// tokenFor is the token that reaches op: an administrator's for the admin routes, A's
// for every other secured route, none for public ones.
func (f *fixture) tokenFor(op *specOp) string {
	switch {
	case !op.Secured():
		return ""
	case strings.HasPrefix(op.Path, "/api/v1/admin/"):
		return f.adminToken
	}
	return f.token
}

// pathParam maps a path parameter, on routes under prefix, to A's values for it. Every
// path parameter of every operation needs an entry: a new route with a parameter fails
// the walk until it is added here.
type pathParam struct {
	prefix, name string
	// named marks names in each user's own namespace (memory paths) rather than ids: B
	// using A's name reaches B's own (absent) file, so a create there is B's own (201).
	named  bool
	values func(f *fixture) []string
}

var pathParams = []pathParam{
	{prefix: "/api/v1/conversations/", name: "id", values: func(f *fixture) []string { return []string{f.conversation} }},
	{prefix: "/api/v1/messages/", name: "id", values: func(f *fixture) []string { return []string{f.userMessage, f.reply} }},
	{prefix: "/api/v1/me/sessions/", name: "id", values: func(f *fixture) []string { return []string{f.session} }},
	{prefix: "/api/v1/memory-versions/", name: "id", values: func(f *fixture) []string { return f.versions }},
	{prefix: "/api/v1/tasks/", name: "id", values: func(f *fixture) []string { return []string{f.task} }},
	{prefix: "/api/v1/me/guidance/versions/", name: "id", values: func(f *fixture) []string { return f.guidance }},
	{prefix: "/api/v1/admin/users/", name: "id", values: func(f *fixture) []string { return []string{f.userID} }},
	{prefix: "/api/v1/memory/", name: "path", named: true, values: func(f *fixture) []string { return []string{f.file} }},
	// The changelog and policy documents of the admin area (an entry id of A's is no entry).
	{prefix: "/api/v1/admin/changelog/", name: "id", values: func(f *fixture) []string { return []string{f.task} }},
	{prefix: "/api/v1/admin/policy/", name: "document", named: true, values: func(f *fixture) []string { return []string{"privacy"} }},
	{prefix: "/api/v1/policy/", name: "document", named: true, values: func(f *fixture) []string { return []string{"privacy"} }},
}

// paramFor returns the table entry for a parameter of op, or fails the test.
func paramFor(t testing.TB, op *specOp, name string) pathParam {
	t.Helper()
	for _, p := range pathParams {
		if p.name == name && strings.HasPrefix(op.Path, p.prefix) {
			return p
		}
	}
	t.Fatalf("%s: no entry in pathParams for {%s}: add one mapping it to an id of user A's", op, name)
	return pathParam{}
}

// concrete returns op's paths with every parameter filled with each of A's values.
func concrete(t testing.TB, op *specOp, f *fixture) []string {
	t.Helper()
	paths := []string{op.Path}
	for _, name := range op.PathParams() {
		var next []string
		for _, p := range paths {
			for _, v := range paramFor(t, op, name).values(f) {
				next = append(next, strings.Replace(p, "{"+name+"}", v, 1))
			}
		}
		paths = next
	}
	return paths
}

// contract is a running instance with its document.
type contract struct {
	t   *testing.T
	s   *apptest.Server
	doc *openAPI
	ops []*specOp
}

func (c *contract) op(method, path string) *specOp {
	c.t.Helper()
	for _, o := range c.ops {
		if o.Method == method && o.Path == path {
			return o
		}
	}
	c.t.Fatalf("docs/openapi.json has no %s %s", method, path)
	return nil
}

// call sends a request for op on a concrete path and checks the answer against the
// document.
func (c *contract) call(op *specOp, path, token string, body any) *apptest.Response {
	c.t.Helper()
	res := c.s.Do(op.Method, path, token, body)
	checkResponse(c.t, c.doc, op, res)
	return res
}

// must is call for A's setup steps, which must answer want.
func (c *contract) must(want int, method, specPath, path, token string, body any) *apptest.Response {
	c.t.Helper()
	res := c.call(c.op(method, specPath), path, token, body)
	if res.Status != want {
		c.t.Fatalf("%s %s: %d, want %d: %.300s", method, path, res.Status, want, res.Body)
	}
	return res
}

func randomWord() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "zebra" + hex.EncodeToString(b)
}

// setup has A create one of each resource through the API.
func (c *contract) setup() *fixture {
	t := c.t
	f := &fixture{marker: randomWord(), file: "notes/food.md"}
	f.userID, f.token = authtest.NewUser(t, c.s)
	_, f.adminToken = authtest.NewUser(t, c.s, authtest.Admin())
	var me struct{ Email string }
	c.must(200, "GET", "/api/v1/me", "/api/v1/me", f.token, nil).JSON(t, &me)
	f.email = me.Email

	var conv struct{ ID string }
	c.must(201, "POST", "/api/v1/conversations", "/api/v1/conversations", f.token, map[string]any{"title": "Trip " + f.marker}).JSON(t, &conv)
	f.conversation = conv.ID
	msgs := "/api/v1/conversations/" + conv.ID + "/messages"
	res := c.must(200, "POST", "/api/v1/conversations/{id}/messages", msgs, f.token,
		map[string]any{"content": "Please remember that my secret word is " + f.marker})
	if !strings.Contains(string(res.Body), "event: message_end") {
		t.Fatalf("the reply did not finish: %s", res.Body)
	}
	var page struct {
		Messages []struct{ ID, Role, Status, Content string }
	}
	c.must(200, "GET", "/api/v1/conversations/{id}/messages", msgs, f.token, nil).JSON(t, &page)
	if len(page.Messages) != 2 || page.Messages[1].Status != "complete" {
		t.Fatalf("messages after the reply: %+v", page.Messages)
	}
	f.userMessage, f.reply = page.Messages[0].ID, page.Messages[1].ID
	c.must(200, "PUT", "/api/v1/messages/{id}/feedback", "/api/v1/messages/"+f.reply+"/feedback", f.token,
		map[string]any{"rating": "up", "reason": "kept " + f.marker})

	file := "/api/v1/memory/" + f.file
	c.must(201, "PUT", "/api/v1/memory/{path}", file, f.token, map[string]any{"content": "Likes tea. " + f.marker + "\n"})
	c.must(200, "PUT", "/api/v1/memory/{path}", file, f.token, map[string]any{"content": "Likes green tea. " + f.marker + "\n"})
	var versions struct{ Versions []struct{ ID string } }
	c.must(200, "GET", "/api/v1/memory-versions", "/api/v1/memory-versions", f.token, nil).JSON(t, &versions)
	// The assistant's memory tool wrote one file, A two versions of another.
	if len(versions.Versions) != 3 {
		t.Fatalf("memory versions: %+v", versions.Versions)
	}
	for _, v := range versions.Versions {
		f.versions = append(f.versions, v.ID)
	}
	c.must(200, "PUT", "/api/v1/me/preferences", "/api/v1/me/preferences", f.token,
		map[string]any{"assistant_name": "Juno", "tone": "Calls me " + f.marker})

	c.must(200, "PUT", "/api/v1/me/guidance", "/api/v1/me/guidance", f.token, map[string]any{"text": "- Answer briefly, " + f.marker})
	c.must(200, "PUT", "/api/v1/me/guidance", "/api/v1/me/guidance", f.token, map[string]any{"text": "- Answer in detail, " + f.marker})
	var gv struct{ Versions []struct{ ID string } }
	c.must(200, "GET", "/api/v1/me/guidance/versions", "/api/v1/me/guidance/versions", f.token, nil).JSON(t, &gv)
	for _, v := range gv.Versions {
		f.guidance = append(f.guidance, v.ID)
	}

	var task struct{ ID string }
	c.must(201, "POST", "/api/v1/tasks", "/api/v1/tasks", f.token, map[string]any{"title": "Brief " + f.marker,
		"instruction": "Tell me about " + f.marker, "schedule": map[string]any{"kind": "daily", "time": "08:00"}}).JSON(t, &task)
	f.task = task.ID

	authtest.Token(t, c.s, f.userID) // a second session of A's
	var sessions struct {
		Sessions []struct {
			ID      string
			Current bool
		}
	}
	c.must(200, "GET", "/api/v1/me/sessions", "/api/v1/me/sessions", f.token, nil).JSON(t, &sessions)
	for _, s := range sessions.Sessions {
		if !s.Current {
			f.session = s.ID
		}
	}
	if len(sessions.Sessions) != 2 || f.session == "" {
		t.Fatalf("sessions: %+v", sessions.Sessions)
	}
	return f
}

// snapshot reads everything A can read (every secured GET, with A's ids), to compare
// after others acted.
func (c *contract) snapshot(f *fixture) map[string]string {
	c.t.Helper()
	out := map[string]string{}
	for _, op := range c.ops {
		// The export names the moment it was made; its content is the rows the other
		// reads show.
		if op.Method != "GET" || !op.Secured() || op.Path == "/api/v1/me/export" {
			continue
		}
		// Streams are followed, not read: one open on a reply in progress would not end.
		if _, ok := op.Responses["200"].Content["text/event-stream"]; ok {
			continue
		}
		for _, p := range concrete(c.t, op, f) {
			res := c.call(op, p, f.token, nil)
			out[p] = http.StatusText(res.Status) + " " + withoutHeartbeat(res.Body)
		}
	}
	return out
}

// withoutHeartbeat returns a response body without the updated_at of replies still
// streaming: their instance refreshes it every second to show they are alive.
func withoutHeartbeat(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if x["status"] == "streaming" {
				delete(x, "updated_at")
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, _ := json.Marshal(v)
	return string(out)
}

func (c *contract) unchanged(before, after map[string]string, when string) {
	c.t.Helper()
	for p, b := range before {
		if after[p] != b {
			c.t.Errorf("%s, A's GET %s changed:\nbefore %.500s\nafter  %.500s", when, p, b, after[p])
		}
	}
}

// withQuery returns op's path alone and with each query parameter set to each of A's
// ids and names.
func withQuery(op *specOp, a *fixture) []string {
	out := []string{op.Path}
	values := append([]string{a.conversation, a.userMessage, a.reply, a.session, a.file, "/memories/" + a.file}, a.versions...)
	for _, p := range op.Parameters {
		if p.In != "query" {
			continue
		}
		for _, v := range values {
			out = append(out, op.Path+"?"+url.Values{p.Name: {v}}.Encode())
		}
	}
	return out
}

// forged returns a token with the claims of a real one, signed with another key.
func forged(t testing.TB, token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("session token is not a JWT: %d parts", len(parts))
	}
	mac := hmac.New(sha256.New, []byte("some-other-secret-some-other-secret-0123"))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// maxBody is the instance's body limit in the contract test.
const maxBody = 64 << 10

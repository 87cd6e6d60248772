package app_test

import (
	"encoding/json"
	"fmt"
	"mime"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"myally.app/ally/internal/app/apptest"
)

// openAPI is the part of docs/openapi.json the contract tests read.
type openAPI struct {
	Paths      map[string]map[string]*specOp `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

// specOp is one operation of the document.
type specOp struct {
	Method string `json:"-"`
	Path   string `json:"-"`

	Summary string `json:"summary"`
	// Security is nil when the operation does not say (a defect: every operation must).
	Security   *[]map[string][]string `json:"security"`
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	RequestBody *struct {
		Required bool                 `json:"required"`
		Content  map[string]mediaType `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]mediaType `json:"content"`
	} `json:"responses"`
}

type mediaType struct {
	Schema  any             `json:"schema"`
	Example json.RawMessage `json:"example"`
}

func (o *specOp) String() string { return o.Method + " " + o.Path }

// Secured says whether the operation needs a bearer token.
func (o *specOp) Secured() bool { return o.Security != nil && len(*o.Security) > 0 }

// PathParams returns the names of the path's {params}, in order.
func (o *specOp) PathParams() []string {
	var out []string
	for _, m := range pathParamRE.FindAllStringSubmatch(o.Path, -1) {
		out = append(out, m[1])
	}
	return out
}

// Example returns the request body's example, or nil when the operation takes no body.
func (o *specOp) Example() json.RawMessage {
	if o.RequestBody == nil {
		return nil
	}
	return o.RequestBody.Content["application/json"].Example
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// loadSpec reads docs/openapi.json; its operations come sorted by path and method.
func loadSpec(t testing.TB) (*openAPI, []*specOp) {
	t.Helper()
	raw, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		openAPI
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("docs/openapi.json: openapi %q, want 3.1.x", doc.OpenAPI)
	}
	var ops []*specOp
	for path, methods := range doc.Paths {
		for m, op := range methods {
			op.Method, op.Path = strings.ToUpper(m), path
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return &doc.openAPI, ops
}

// docRouteRE finds "METHOD /path" in a code span of docs/api.md.
var docRouteRE = regexp.MustCompile("`(GET|POST|PUT|PATCH|DELETE) (/[^` ?]*)[^`]*`")

// docRoutes returns the routes docs/api.md lists: code spans naming a route in headings
// and in list items that open with one in bold.
func docRoutes(t testing.TB) []string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	listItem := regexp.MustCompile("^\\s*(\\d+\\.|-) \\*\\*`")
	var out []string
	inCode := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !(strings.HasPrefix(line, "#") || listItem.MatchString(line)) {
			continue
		}
		for _, m := range docRouteRE.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1]+" "+m[2])
		}
	}
	return out
}

// validate checks v (decoded JSON) against a JSON Schema of the document: the keywords it
// uses ($ref, type, properties, required, additionalProperties, items, enum, oneOf).
// It returns the first mismatch, or "".
func (d *openAPI) validate(schema any, v any, at string) string {
	s, _ := schema.(map[string]any)
	if s == nil {
		return ""
	}
	if ref, ok := s["$ref"].(string); ok {
		return d.validate(d.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")], v, at)
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, a := range alts {
			if d.validate(a, v, at) == "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Sprintf("%s: matches %d of the oneOf schemas, want 1", at, n)
		}
		return ""
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		if !slices.Contains(types, jsonType(v)) && !(jsonType(v) == "integer" && slices.Contains(types, "number")) {
			return fmt.Sprintf("%s: is %s, want %v", at, jsonType(v), types)
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		return fmt.Sprintf("%s: %v is not one of %v", at, v, enum)
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := v[r]; !ok {
				return fmt.Sprintf("%s: lacks required %q", at, r)
			}
		}
		for k, x := range v {
			ps, ok := props[k]
			if !ok {
				if s["additionalProperties"] == false {
					return fmt.Sprintf("%s: has undocumented field %q", at, k)
				}
				ps = s["additionalProperties"] // a schema for the other fields, or none
			}
			if msg := d.validate(ps, x, at+"."+k); msg != "" {
				return msg
			}
		}
	case []any:
		for i, x := range v {
			if msg := d.validate(s["items"], x, at+"["+strconv.Itoa(i)+"]"); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func asStrings(v any) []string {
	var out []string
	if xs, ok := v.([]any); ok {
		for _, x := range xs {
			out = append(out, x.(string))
		}
	}
	return out
}

// checkResponse fails the test unless res is what op documents: its status is listed
// (or, for an error, covered by "default"), its content type is one documented for that
// status, and a JSON body matches the schema. Error bodies always have the error shape.
func checkResponse(t testing.TB, doc *openAPI, op *specOp, res *apptest.Response) {
	t.Helper()
	status := strconv.Itoa(res.Status)
	r, ok := op.Responses[status]
	if !ok && res.Status >= 400 {
		r, ok = op.Responses["default"]
	}
	if !ok {
		t.Errorf("%s answered %d, which docs/openapi.json does not list: %.300s", op, res.Status, res.Body)
		return
	}
	if len(r.Content) == 0 {
		if len(res.Body) > 0 {
			t.Errorf("%s: %d documented without a body, got %.200s", op, res.Status, res.Body)
		}
		return
	}
	ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	mt, ok := r.Content[ct]
	if !ok {
		t.Errorf("%s: %d with Content-Type %q, documented %v", op, res.Status, ct, keys(r.Content))
		return
	}
	if ct != "application/json" {
		return
	}
	var v any
	if err := json.Unmarshal(res.Body, &v); err != nil {
		t.Errorf("%s: %d body is not JSON: %.200s", op, res.Status, res.Body)
		return
	}
	if msg := doc.validate(mt.Schema, v, "body"); msg != "" {
		t.Errorf("%s: %d body does not match docs/openapi.json: %s\n%.400s", op, res.Status, msg, res.Body)
	}
	if res.Status >= 400 {
		if msg := doc.validate(map[string]any{"$ref": "#/components/schemas/Error"}, v, "body"); msg != "" {
			t.Errorf("%s: %d body is not the error shape: %s\n%.300s", op, res.Status, msg, res.Body)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// idBits estimates the random bits of an id from its alphabet: base32 (as crypto/rand.Text
// makes) carries 5 bits a character, lower-case hex 4. Other formats answer 0.
func idBits(id string) int {
	switch {
	case regexp.MustCompile(`^[A-Z2-7]+$`).MatchString(id):
		return 5 * len(id)
	case regexp.MustCompile(`^[0-9a-f]+$`).MatchString(id):
		return 4 * len(id)
	}
	return 0
}

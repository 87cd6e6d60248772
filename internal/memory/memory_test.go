package memory

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

var clock = func() time.Time { return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) }

func newUser(t *testing.T, d *db.DB, id string) string {
	t.Helper()
	_, err := d.W.ExecContext(context.Background(), `INSERT INTO users (id, email, name, created_at, updated_at) VALUES ($1, $2, $3, 1, 1)`,
		id, id+"@example.com", id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// run executes one tool command and returns its result text and error flag.
func run(t *testing.T, s *Service, user string, lim Limits, input map[string]any) (string, bool) {
	t.Helper()
	raw, _ := json.Marshal(input)
	out, isErr, err := s.Execute(context.Background(), user, raw, lim)
	if err != nil {
		t.Fatalf("storage error for %v: %v", input, err)
	}
	return out, isErr
}

// mustRun runs a command that must succeed.
func mustRun(t *testing.T, s *Service, user string, input map[string]any) string {
	t.Helper()
	out, isErr := run(t, s, user, Limits{}, input)
	if isErr {
		t.Fatalf("%v failed: %s", input, out)
	}
	return out
}

func content(t *testing.T, s *Service, user, path string) string {
	t.Helper()
	f, err := s.Read(context.Background(), user, path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return f.Content
}

func TestCommands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := NewService(d, clock)
		u := newUser(t, d, "u1")

		out := mustRun(t, s, u, map[string]any{"command": "view", "path": "/memories"})
		if !strings.Contains(out, "/memories") {
			t.Fatalf("empty root listing: %q", out)
		}
		out = mustRun(t, s, u, map[string]any{"command": "create", "path": "/memories/people/family.md", "file_text": "Sister: Ana\nDog: Rex\n"})
		if out != "File created successfully at: /memories/people/family.md" {
			t.Fatalf("create said %q", out)
		}
		out = mustRun(t, s, u, map[string]any{"command": "view", "path": "/memories/people/family.md"})
		if want := "Here's the content of /memories/people/family.md with line numbers:\n     1\tSister: Ana\n     2\tDog: Rex\n"; out != want {
			t.Fatalf("view file:\n%q\nwant\n%q", out, want)
		}
		out = mustRun(t, s, u, map[string]any{"command": "view", "path": "/memories/people/family.md", "view_range": []int{2, -1}})
		if out != "Here's the content of /memories/people/family.md with line numbers:\n     2\tDog: Rex\n" {
			t.Fatalf("view range: %q", out)
		}
		out = mustRun(t, s, u, map[string]any{"command": "view", "path": "/memories"})
		for _, want := range []string{"/memories/people\n", "/memories/people/family.md\n", "21B\t/memories/people/family.md"} {
			if !strings.Contains(out, want) {
				t.Fatalf("listing lacks %q:\n%s", want, out)
			}
		}

		out = mustRun(t, s, u, map[string]any{"command": "str_replace", "path": "/memories/people/family.md", "old_str": "Rex", "new_str": "Rex (a beagle)"})
		if !strings.Contains(out, "has been edited") || !strings.Contains(out, "Dog: Rex (a beagle)") {
			t.Fatalf("str_replace said %q", out)
		}
		mustRun(t, s, u, map[string]any{"command": "insert", "path": "/memories/people/family.md", "insert_line": 0, "insert_text": "# Family\n"})
		mustRun(t, s, u, map[string]any{"command": "insert", "path": "/memories/people/family.md", "insert_line": 3, "insert_text": "Cat: Mia"})
		if got, want := content(t, s, u, "/memories/people/family.md"), "# Family\nSister: Ana\nDog: Rex (a beagle)\nCat: Mia\n"; got != want {
			t.Fatalf("after edits %q, want %q", got, want)
		}

		out = mustRun(t, s, u, map[string]any{"command": "rename", "old_path": "/memories/people", "new_path": "/memories/contacts"})
		if out != "Successfully renamed /memories/people to /memories/contacts" {
			t.Fatalf("rename said %q", out)
		}
		if got := content(t, s, u, "/memories/contacts/family.md"); !strings.HasPrefix(got, "# Family") {
			t.Fatalf("renamed file holds %q", got)
		}
		if _, err := s.Read(context.Background(), u, "/memories/people/family.md"); err == nil {
			t.Fatal("old path still exists after rename")
		}
		out = mustRun(t, s, u, map[string]any{"command": "delete", "path": "/memories/contacts/family.md"})
		if out != "Successfully deleted /memories/contacts/family.md" {
			t.Fatalf("delete said %q", out)
		}
		tree, err := s.Tree(context.Background(), u)
		if err != nil || len(tree.Files) != 0 {
			t.Fatalf("tree after delete: %+v %v", tree, err)
		}
	})
}

func TestCommandMistakes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := NewService(d, clock)
		u := newUser(t, d, "u1")
		mustRun(t, s, u, map[string]any{"command": "create", "path": "/memories/a.md", "file_text": "one\ntwo\none\n"})
		mustRun(t, s, u, map[string]any{"command": "create", "path": "/memories/dir/b.md", "file_text": "b\n"})
		lim := Limits{MaxFileBytes: 100, MaxTotalBytes: 110}
		tests := []struct {
			name  string
			input map[string]any
			want  string
		}{
			{"no command", map[string]any{"path": "/memories"}, `"command" parameter is missing`},
			{"unknown command", map[string]any{"command": "chmod", "path": "/memories/a.md"}, `unknown command "chmod"`},
			{"missing path", map[string]any{"command": "view"}, `needs the "path" parameter`},
			{"outside root", map[string]any{"command": "view", "path": "/etc/passwd"}, "outside /memories"},
			{"prefix trick", map[string]any{"command": "create", "path": "/memoriesX/a.md", "file_text": "x"}, "outside /memories"},
			{"relative", map[string]any{"command": "view", "path": "memories/a.md"}, "outside /memories"},
			{"dot dot", map[string]any{"command": "create", "path": "/memories/../x.md", "file_text": "x"}, `uses ".."`},
			{"dot dot at end", map[string]any{"command": "view", "path": "/memories/dir/.."}, `uses ".."`},
			{"backslash", map[string]any{"command": "create", "path": `/memories/..\x.md`, "file_text": "x"}, "not allowed"},
			{"control char", map[string]any{"command": "create", "path": "/memories/a\nb.md", "file_text": "x"}, "not allowed"},
			{"too deep", map[string]any{"command": "create", "path": "/memories/1/2/3/4/5/6/7/8/9.md", "file_text": "x"}, "deeper than"},
			{"view missing", map[string]any{"command": "view", "path": "/memories/nope.md"}, "The path /memories/nope.md does not exist"},
			{"bad range", map[string]any{"command": "view", "path": "/memories/a.md", "view_range": []int{9, 10}}, "Invalid `view_range`"},
			{"create existing", map[string]any{"command": "create", "path": "/memories/a.md", "file_text": "x"}, "Error: File /memories/a.md already exists"},
			{"create over dir", map[string]any{"command": "create", "path": "/memories/dir", "file_text": "x"}, "is a directory"},
			{"create under file", map[string]any{"command": "create", "path": "/memories/a.md/c.md", "file_text": "x"}, "is a file"},
			{"create root", map[string]any{"command": "create", "path": "/memories", "file_text": "x"}, "is a directory"},
			{"create without text", map[string]any{"command": "create", "path": "/memories/n.md"}, `needs the "file_text" parameter`},
			{"NUL in text", map[string]any{"command": "create", "path": "/memories/n.md", "file_text": "a\x00b"}, "NUL"},
			{"file quota", map[string]any{"command": "create", "path": "/memories/big.md", "file_text": strings.Repeat("x", 101)}, "at most 100 bytes"},
			{"total quota", map[string]any{"command": "create", "path": "/memories/big.md", "file_text": strings.Repeat("x", 100)}, "memory is full"},
			{"quota on insert", map[string]any{"command": "insert", "path": "/memories/a.md", "insert_line": 1, "insert_text": strings.Repeat("y", 95)}, "at most 100 bytes"},
			{"replace missing", map[string]any{"command": "str_replace", "path": "/memories/a.md", "old_str": "three", "new_str": "3"}, "did not appear verbatim"},
			{"replace twice", map[string]any{"command": "str_replace", "path": "/memories/a.md", "old_str": "one", "new_str": "1"}, "Multiple occurrences of old_str `one` in lines: [1 3]"},
			{"replace empty", map[string]any{"command": "str_replace", "path": "/memories/a.md", "old_str": "", "new_str": "1"}, "must not be empty"},
			{"replace in dir", map[string]any{"command": "str_replace", "path": "/memories/dir", "old_str": "b", "new_str": "c"}, "is a directory"},
			{"insert out of range", map[string]any{"command": "insert", "path": "/memories/a.md", "insert_line": 4, "insert_text": "x"}, "[0, 3]"},
			{"insert negative", map[string]any{"command": "insert", "path": "/memories/a.md", "insert_line": -1, "insert_text": "x"}, "Invalid `insert_line`"},
			{"delete missing", map[string]any{"command": "delete", "path": "/memories/nope.md"}, "does not exist"},
			{"delete root", map[string]any{"command": "delete", "path": "/memories"}, "cannot be deleted"},
			{"rename onto existing", map[string]any{"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/dir/b.md"}, "destination /memories/dir/b.md already exists"},
			{"rename into itself", map[string]any{"command": "rename", "old_path": "/memories/dir", "new_path": "/memories/dir/sub"}, "into itself"},
			{"rename out", map[string]any{"command": "rename", "old_path": "/memories/a.md", "new_path": "/tmp/a.md"}, "outside /memories"},
			{"rename missing", map[string]any{"command": "rename", "old_path": "/memories/x.md", "new_path": "/memories/y.md"}, "does not exist"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, isErr := run(t, s, u, lim, tt.input)
				if !isErr || !strings.Contains(out, tt.want) {
					t.Fatalf("got (%q, isError=%v), want an error containing %q", out, isErr, tt.want)
				}
			})
		}
		// None of the refusals changed anything.
		if got := content(t, s, u, "/memories/a.md"); got != "one\ntwo\none\n" {
			t.Fatalf("a.md changed to %q", got)
		}
		tree, _ := s.Tree(context.Background(), u)
		if len(tree.Files) != 2 {
			t.Fatalf("tree changed: %+v", tree.Files)
		}
		vs, _ := s.Versions(context.Background(), u, "", "", 100)
		if len(vs) != 2 {
			t.Fatalf("refused commands stored versions: %+v", vs)
		}
	})
}

func TestQuotaAllowsShrinkingWhenFull(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := NewService(d, clock)
		u := newUser(t, d, "u1")
		mustRun(t, s, u, map[string]any{"command": "create", "path": "/memories/a.md", "file_text": "head " + strings.Repeat("x", 60) + "\n"})
		// The plan shrank below what is stored: edits that make things smaller still work,
		// even while the file stays over the new per-file limit.
		lim := Limits{MaxFileBytes: 20, MaxTotalBytes: 50}
		step := func(old, repl string) (string, bool) {
			return run(t, s, u, lim, map[string]any{"command": "str_replace", "path": "/memories/a.md", "old_str": old, "new_str": repl})
		}
		if out, isErr := step("head "+strings.Repeat("x", 10), "y"); isErr {
			t.Fatalf("shrinking edit refused: %s", out)
		}
		if out, isErr := step("y", "yz"); !isErr || !strings.Contains(out, "at most 20 bytes") {
			t.Fatalf("growing edit over the per-file limit: %q %v", out, isErr)
		}
		create := func() (string, bool) {
			return run(t, s, u, lim, map[string]any{"command": "create", "path": "/memories/b.md", "file_text": strings.Repeat("y", 15)})
		}
		if out, isErr := create(); !isErr || !strings.Contains(out, "memory is full") {
			t.Fatalf("over-quota create: %q %v", out, isErr)
		}
		if out, isErr := step("y"+strings.Repeat("x", 50), "short"); isErr {
			t.Fatalf("shrinking edit refused: %s", out)
		}
		if out, isErr := create(); isErr {
			t.Fatalf("create after trimming: %s", out)
		}
	})
}

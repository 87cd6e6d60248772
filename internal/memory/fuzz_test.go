package memory

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

// FuzzNormalize checks the path rules on any text: an accepted path is printable UTF-8
// under /memories, without ".", "..", empty or space-padded names, within the size and
// depth limits, and normalizing it again changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, p := range []string{"/memories", "/memories/", "/memories//a///b.md/", "/memories/../etc/passwd",
		"/memories/./a", "memories/a", "/memories/a\\b", "/memories/\u202etxt.md", "/memories/ a", "/memories/é/日本.md",
		"/memories/a/b/c/d/e/f/g/h/i", "/memoriesx/a", "/memories/\x00", "/memories/\xff"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		n, err := normalize(p)
		if err != nil {
			if n != "" {
				t.Fatalf("refused %q but returned %q", p, n)
			}
			return
		}
		if !utf8.ValidString(n) || (n != Root && !strings.HasPrefix(n, Root+"/")) || strings.HasSuffix(n, "/") && n != Root {
			t.Fatalf("%q normalized to %q, outside the tree's form", p, n)
		}
		segs := strings.Split(strings.TrimPrefix(n, Root+"/"), "/")
		if n != Root {
			for _, s := range segs {
				if s == "" || s == "." || s == ".." || strings.TrimSpace(s) != s || len(s) > maxSegmentBytes {
					t.Fatalf("%q normalized to %q with the name %q", p, n, s)
				}
			}
			if len(segs) > maxDepth {
				t.Fatalf("%q normalized to %q, deeper than %d", p, n, maxDepth)
			}
		}
		for _, r := range n {
			if r == '\\' || r < 0x20 || r == 0x7f || invisible(r) {
				t.Fatalf("%q normalized to %q holding %U", p, n, r)
			}
		}
		if again, err := normalize(n); err != nil || again != n {
			t.Fatalf("normalize(%q) = %q, %v; not stable", n, again, err)
		}
	})
}

// FuzzMemoryTool runs any input the model might send as a memory tool command against a
// real database: it never fails with a storage error or panics, a refused command changes
// nothing, every file stays under /memories within the quota, and a path the rules refuse
// is never stored.
func FuzzMemoryTool(f *testing.F) {
	d := dbtest.Open(f, dbtest.Target{Dialect: db.SQLite, Options: db.Options{Path: filepath.Join(f.TempDir(), "ally.db")}})
	s := NewService(d, clock)
	ctx := context.Background()
	if _, err := d.W.ExecContext(ctx, `INSERT INTO users (id, email, name, created_at, updated_at) VALUES ('u', 'u@example.com', 'u', 1, 1)`); err != nil {
		f.Fatal(err)
	}
	lim := Limits{MaxFileBytes: 2048, MaxTotalBytes: 8192}
	seed := func(v map[string]any) {
		b, _ := json.Marshal(v)
		f.Add(b)
	}
	seed(map[string]any{"command": "create", "path": "/memories/a.md", "file_text": "one\ntwo\n"})
	seed(map[string]any{"command": "view", "path": "/memories", "view_range": []int{1, -1}})
	seed(map[string]any{"command": "view", "path": "/memories/a.md", "view_range": []int{3, 1}})
	seed(map[string]any{"command": "str_replace", "path": "/memories/a.md", "old_str": "one", "new_str": "uno"})
	seed(map[string]any{"command": "insert", "path": "/memories/a.md", "insert_line": -5, "insert_text": "x"})
	seed(map[string]any{"command": "insert", "path": "/memories/a.md", "insert_line": 1 << 40, "insert_text": "x"})
	seed(map[string]any{"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/a.md/b.md"})
	seed(map[string]any{"command": "rename", "old_path": "/memories", "new_path": "/memories/x"})
	seed(map[string]any{"command": "delete", "path": "/memories"})
	seed(map[string]any{"command": "create", "path": "/memories/../../x", "file_text": strings.Repeat("a", 5000)})
	f.Add([]byte(`{"command":"create","path":"/memories/n.md","file_text":"\u0000"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, input []byte) {
		if _, err := d.W.ExecContext(ctx, `DELETE FROM memory_files WHERE user_id = 'u'`); err != nil {
			t.Fatal(err)
		}
		// One file to act on, so commands that need one reach their checks.
		if _, _, _, err := s.Write(ctx, "u", "a.md", "one\ntwo\n"); err != nil {
			t.Fatal(err)
		}
		before, err := s.Tree(ctx, "u")
		if err != nil {
			t.Fatal(err)
		}
		_, isErr, err := s.Execute(ctx, "u", input, lim)
		if err != nil {
			t.Fatalf("storage error on %q: %v", input, err)
		}
		after, err := s.Tree(ctx, "u")
		if err != nil {
			t.Fatal(err)
		}
		if isErr && !sameTree(before, after) {
			t.Fatalf("a refused command %q changed the files: %+v -> %+v", input, before.Files, after.Files)
		}
		var total int64
		for _, fi := range after.Files {
			total += fi.Size
			full := Root + "/" + strings.TrimPrefix(fi.Path, "/")
			if strings.HasPrefix(fi.Path, Root) {
				full = fi.Path
			}
			if n, err := normalize(full); err != nil || n != full {
				t.Fatalf("stored path %q breaks the rules: %v", fi.Path, err)
			}
			if fi.Size > lim.MaxFileBytes && fi.Path != before.Files[0].Path {
				t.Fatalf("%q holds %d bytes, over the file quota", fi.Path, fi.Size)
			}
		}
		if total > lim.MaxTotalBytes {
			t.Fatalf("files hold %d bytes, over the total quota", total)
		}
	})
}

func sameTree(a, b Tree) bool {
	if len(a.Files) != len(b.Files) {
		return false
	}
	for i := range a.Files {
		if a.Files[i].Path != b.Files[i].Path || a.Files[i].Size != b.Files[i].Size {
			return false
		}
	}
	return true
}

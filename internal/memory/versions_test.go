package memory

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/errs"
)

func TestEveryChangeIsAVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewService(d, clock)
		u := newUser(t, d, "u1")
		mustRun(t, s, u, map[string]any{"command": "create", "path": "/memories/a.md", "file_text": "v1\n"})
		mustRun(t, s, u, map[string]any{"command": "str_replace", "path": "/memories/a.md", "old_str": "v1", "new_str": "v2"})
		if _, _, _, err := s.Write(ctx, u, "/memories/a.md", "v3 by the user\n"); err != nil {
			t.Fatal(err)
		}
		mustRun(t, s, u, map[string]any{"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/b.md"})
		mustRun(t, s, u, map[string]any{"command": "delete", "path": "/memories/b.md"})

		all, err := s.Versions(ctx, u, "", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range all {
			got = append(got, fmt.Sprintf("%s %s %s deleted=%v other=%s", v.Path, v.Author, v.Action, v.Deleted, v.OtherPath))
		}
		want := []string{
			"/memories/b.md assistant delete deleted=true other=",
			"/memories/a.md assistant rename deleted=true other=/memories/b.md",
			"/memories/b.md assistant rename deleted=false other=/memories/a.md",
			"/memories/a.md user edit deleted=false other=",
			"/memories/a.md assistant edit deleted=false other=",
			"/memories/a.md assistant create deleted=false other=",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("versions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Contents are complete snapshots after each change.
		for i, wantContent := range map[int]string{5: "v1\n", 4: "v2\n", 3: "v3 by the user\n", 2: "v3 by the user\n"} {
			v, err := s.Version(ctx, u, all[i].ID)
			if err != nil || v.Content == nil || *v.Content != wantContent {
				t.Fatalf("version %d content %v, want %q (%v)", i, v.Content, wantContent, err)
			}
		}
		// Paging backwards and filtering by path.
		page, err := s.Versions(ctx, u, "/memories/a.md", all[3].ID, 1)
		if err != nil || len(page) != 1 || page[0].ID != all[4].ID {
			t.Fatalf("page before %s: %+v %v", all[3].ID, page, err)
		}

		// Revert to v1 brings the deleted file back, as a change by the user.
		newID, err := s.Revert(ctx, u, all[5].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := content(t, s, u, "/memories/a.md"); got != "v1\n" {
			t.Fatalf("after revert a.md = %q", got)
		}
		v, err := s.Version(ctx, u, newID)
		if err != nil || v.Author != AuthorUser || v.Action != ActionRevert {
			t.Fatalf("revert version %+v %v", v, err)
		}
		// Reverting to a deletion removes the file again.
		if _, err := s.Revert(ctx, u, all[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(ctx, u, "/memories/a.md"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("after reverting to a deletion, read gives %v", err)
		}
		if _, err := s.Revert(ctx, u, all[1].ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("reverting to a deletion twice: %v", err)
		}
	})
}

func TestOtherUsersMemoryIsInvisible(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewService(d, clock)
		alice, bob := newUser(t, d, "alice"), newUser(t, d, "bob")
		mustRun(t, s, alice, map[string]any{"command": "create", "path": "/memories/secret.md", "file_text": "alice's secret\n"})
		out, isErr := run(t, s, bob, Limits{}, map[string]any{"command": "view", "path": "/memories/secret.md"})
		if !isErr || strings.Contains(out, "alice") {
			t.Fatalf("bob viewed alice's file: %q", out)
		}
		vs, _ := s.Versions(ctx, alice, "", "", 10)
		if _, err := s.Version(ctx, bob, vs[0].ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("bob read alice's version: %v", err)
		}
		if _, err := s.Revert(ctx, bob, vs[0].ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("bob reverted alice's version: %v", err)
		}
		if idx, _ := s.Index(ctx, bob); strings.Contains(idx, "secret") {
			t.Fatalf("bob's index shows alice's file: %q", idx)
		}
	})
}

func TestIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewService(d, clock)
		u := newUser(t, d, "u1")
		idx, err := s.Index(ctx, u)
		if err != nil || idx != "The memory directory /memories is empty." {
			t.Fatalf("empty index %q %v", idx, err)
		}
		mustRun(t, s, u, map[string]any{"command": "create", "path": "/memories/prefs.md", "file_text": "# Preferences\nlikes tea\n"})
		mustRun(t, s, u, map[string]any{"command": "create", "path": "/memories/long.md", "file_text": strings.Repeat("é", 100)})
		idx, err = s.Index(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		want := "Files in /memories (size, first line):\n- /memories/long.md (200B): " + strings.Repeat("é", 40) + "…\n- /memories/prefs.md (24B): # Preferences\n"
		if idx != want {
			t.Fatalf("index\n%q\nwant\n%q", idx, want)
		}
	})
}

// TestConcurrentWritesKeepTheQuota sends many creates at once, each fitting alone; the
// total quota must hold exactly, on both databases.
func TestConcurrentWritesKeepTheQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := NewService(d, clock)
		u := newUser(t, d, "u1")
		lim := Limits{MaxFileBytes: 100, MaxTotalBytes: 250}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				input := fmt.Sprintf(`{"command":"create","path":"/memories/f%d.md","file_text":%q}`, i, strings.Repeat("x", 100))
				_, isErr, err := s.Execute(context.Background(), u, []byte(input), lim)
				if err != nil {
					t.Error(err)
				}
				if !isErr {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		tree, _ := s.Tree(context.Background(), u)
		if ok != 2 || tree.TotalBytes != 200 {
			t.Fatalf("%d creates passed, %d bytes stored; want 2 and 200", ok, tree.TotalBytes)
		}
	})
}

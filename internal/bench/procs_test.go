package bench

import "testing"

func TestStatCPU(t *testing.T) {
	// A command name with spaces and a parenthesis, as /proc/<pid>/stat may hold.
	line := []byte("4242 (postgres: a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 1 0 100 0 0")
	if s, comm := statCPU(line, false); s != 2 || comm != "postgres: a) b" {
		t.Fatalf("own time = %v s, %q; want 2 s (150+50 ticks)", s, comm)
	}
	if s, _ := statCPU(line, true); s != 2.1 {
		t.Fatalf("with reaped children = %v s, want 2.1 s (150+50+7+3 ticks)", s)
	}
	if s, comm := statCPU([]byte("garbage"), true); s != 0 || comm != "" {
		t.Fatalf("garbage parsed as %v s, %q", s, comm)
	}
}

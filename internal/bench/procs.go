package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// buildBinaries compiles ally and the fake model server into dir.
func buildBinaries(ctx context.Context, dir string) (ally, fake string, err error) {
	ally, fake = filepath.Join(dir, "ally"), filepath.Join(dir, "fakellm")
	for out, pkg := range map[string]string{ally: "./cmd/ally", fake: "./cmd/fakellm"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	return ally, fake, nil
}

// proc is a child process the benchmark started.
type proc struct {
	cmd  *exec.Cmd
	URL  string
	logs *os.File
}

// freeAddr returns a free loopback address.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs bin with args and env, logging to logPath, and waits until probe answers 200.
func start(ctx context.Context, bin string, args, env []string, url, probe, logPath string) (*proc, error) {
	logs, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		logs.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, URL: url, logs: logs}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(url + probe)
		if err == nil {
			res.Body.Close()
			if res.StatusCode < 500 {
				return p, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not become ready at %s (see %s)", filepath.Base(bin), url, logPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the process to exit.
func (p *proc) stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
	p.logs.Close()
}

// cpuSeconds is the process's user+system CPU time so far (Linux /proc).
func (p *proc) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s, _ := statCPU(b, false)
	return s
}

// statCPU parses the CPU fields of a /proc/<pid>/stat line: user+system time, and with
// children the time of its exited children the process waited for.
func statCPU(b []byte, children bool) (float64, string) {
	open, end := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')')
	if open < 0 || end < open || end+2 > len(b) {
		return 0, ""
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[end+2:]))
	if len(f) < 15 {
		return 0, ""
	}
	n := 2
	if children {
		n = 4
	}
	var ticks float64
	for _, v := range f[11 : 11+n] {
		t, _ := strconv.ParseFloat(v, 64)
		ticks += t
	}
	return ticks / 100, string(b[open+1 : end]) // USER_HZ is 100 on Linux
}

// postgresCPUSeconds is the CPU time of this machine's PostgreSQL processes so far: the
// live ones (backends, writers) and the exited backends their postmaster reaped. It is 0
// when PostgreSQL runs elsewhere.
func postgresCPUSeconds() float64 {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var sum float64
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		if s, comm := statCPU(b, true); comm == "postgres" {
			sum += s
		}
	}
	return sum
}

// machineBusySeconds is the CPU time all cores of the machine have spent busy so far
// (everything but idle and I/O wait, /proc/stat).
func machineBusySeconds() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		t, _ := strconv.ParseFloat(v, 64)
		busy += t
	}
	return busy / 100
}

// rssBytes is the process's resident set size (Linux /proc).
func (p *proc) rssBytes() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// metric reads one un-labelled sample from a Prometheus text endpoint.
func metric(url, name string) (float64, error) {
	res, err := http.Get(url + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// captureProfile saves a 5-second CPU profile of the server, taken as the load starts,
// and a heap profile two seconds in (next to it, .heap instead of .pprof).
func captureProfile(ctx context.Context, debugURL, path string) error {
	go func() {
		time.Sleep(2 * time.Second)
		_ = fetch(ctx, debugURL+"/debug/pprof/heap", strings.TrimSuffix(path, ".pprof")+".heap")
	}()
	return fetch(ctx, debugURL+"/debug/pprof/profile?seconds=5", path)
}

func fetch(ctx context.Context, url, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

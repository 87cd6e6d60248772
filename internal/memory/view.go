package memory

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"myally.app/ally/internal/errs"
)

// view shows a directory listing (two levels deep, with sizes) or a file with line
// numbers, optionally only the lines in rng.
func (s *Service) view(ctx context.Context, userID, p string, rng []int64) (string, error) {
	f, err := getFile(ctx, s.db.R, userID, p)
	if err == errNoFile {
		files, err := listFiles(ctx, s.db.R, userID)
		if err != nil {
			return "", err
		}
		if kindOf(files, p) != kindDir {
			return "", notExist(p)
		}
		return listing(files, p), nil
	}
	if err != nil {
		return "", err
	}
	lines := splitLines(f.Content)
	from, to := 1, len(lines)
	if rng != nil {
		if len(rng) != 2 {
			return "", mistakef(errs.Invalid, "Error: view_range must be two numbers, [first_line, last_line]")
		}
		from, to = int(rng[0]), int(rng[1])
		if from < 1 || from > max(1, len(lines)) {
			return "", mistakef(errs.Invalid, "Error: Invalid `view_range`: %v. The first line should be within the range of lines of the file: [1, %d]", rng, len(lines))
		}
		if to == -1 || to > len(lines) {
			to = len(lines)
		}
		if to < from && len(lines) > 0 {
			return "", mistakef(errs.Invalid, "Error: Invalid `view_range`: %v. The last line should be -1 or at least the first line", rng)
		}
	}
	if len(lines) == 0 {
		return fmt.Sprintf("The file %s is empty.", p), nil
	}
	return fmt.Sprintf("Here's the content of %s with line numbers:\n%s", p, numbered(lines, from, to)), nil
}

// listing renders dir and the files and directories up to two levels below it, each with
// its size (a directory's size is the sum of its files).
func listing(files []FileInfo, dir string) string {
	sizes := map[string]int64{dir: 0}
	for _, f := range filesUnder(files, dir) {
		rel := strings.Split(strings.TrimPrefix(f.Path, dir+"/"), "/")
		sizes[dir] += f.Size
		for depth := 1; depth <= min(2, len(rel)); depth++ {
			sizes[dir+"/"+strings.Join(rel[:depth], "/")] += f.Size
		}
	}
	paths := make([]string, 0, len(sizes))
	for p := range sizes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	fmt.Fprintf(&b, "Here're the files and directories up to 2 levels deep in %s:\n", dir)
	for _, p := range paths {
		fmt.Fprintf(&b, "%s\t%s\n", humanSize(sizes[p]), p)
	}
	return b.String()
}

// humanSize prints a byte count the way `du -h` does.
func humanSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%dB", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1fK", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1fM", float64(n)/(1024*1024))
	}
}

// maxIndexFiles bounds the index in the system prompt; the model can view the rest.
const maxIndexFiles = 50

// maxFirstLine caps the first line shown in the index, in bytes.
const maxFirstLine = 80

// Index returns the memory index for the system prompt: one line per file with its size
// and first line, compact so it costs few tokens. The assistant views files for more.
func (s *Service) Index(ctx context.Context, userID string) (string, error) {
	var count int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM memory_files WHERE user_id = $1`, userID).Scan(&count); err != nil {
		return "", fmt.Errorf("memory: index: %w", err)
	}
	if count == 0 {
		return "The memory directory " + Root + " is empty.", nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT path, size, substr(content, 1, 200) FROM memory_files
		WHERE user_id = $1 ORDER BY path LIMIT $2`, userID, maxIndexFiles)
	if err != nil {
		return "", fmt.Errorf("memory: index: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "Files in %s (size, first line):\n", Root)
	for rows.Next() {
		var path, head string
		var size int64
		if err := rows.Scan(&path, &size, &head); err != nil {
			return "", fmt.Errorf("memory: index: %w", err)
		}
		fmt.Fprintf(&b, "- %s (%s)", path, humanSize(size))
		if first := firstLine(head); first != "" {
			fmt.Fprintf(&b, ": %s", first)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("memory: index: %w", err)
	}
	if count > maxIndexFiles {
		fmt.Fprintf(&b, "… and %d more files; view %s to see them all.\n", count-maxIndexFiles, Root)
	}
	return b.String(), nil
}

// firstLine returns the first line of head, trimmed and shortened on a character boundary.
func firstLine(head string) string {
	line, _, _ := strings.Cut(head, "\n")
	line = strings.TrimSpace(line)
	if len(line) > maxFirstLine {
		cut := maxFirstLine
		for cut > 0 && line[cut]&0xC0 == 0x80 {
			cut--
		}
		line = line[:cut] + "…"
	}
	return line
}

package memory

import (
	"fmt"
	"strings"

	"myally.app/ally/internal/errs"
)

// The commands below change the tree inside one transaction (see mutate). They return a
// *mistake for errors in the command itself, which the caller shows to the model or the
// user, and plain errors for storage failures.

// create makes a new file; an existing file is refused, as in Anthropic's memory tool.
func (t *txn) create(p, text string, lim Limits) error {
	files, err := t.list()
	if err != nil {
		return err
	}
	if kindOf(files, p) == kindFile {
		return mistakef(errs.Conflict, "Error: File %s already exists", p)
	}
	if err := checkPlace(files, p); err != nil {
		return err
	}
	if err := checkQuota(files, p, int64(len(text)), lim); err != nil {
		return err
	}
	_, err = t.write(p, text, ActionCreate, "")
	return err
}

// put creates or replaces a file with the given content (the user's own edit).
func (t *txn) put(p, text string, lim Limits) (created bool, versionID string, err error) {
	files, err := t.list()
	if err != nil {
		return false, "", err
	}
	created = kindOf(files, p) != kindFile
	if created {
		if err := checkPlace(files, p); err != nil {
			return false, "", err
		}
	}
	if err := checkQuota(files, p, int64(len(text)), lim); err != nil {
		return false, "", err
	}
	action := ActionEdit
	if created {
		action = ActionCreate
	}
	versionID, err = t.write(p, text, action, "")
	return created, versionID, err
}

// existing reads a file, explaining what is wrong when p is a directory or nothing.
func (t *txn) existing(p string) (File, error) {
	f, err := t.get(p)
	if err == errNoFile {
		files, lerr := t.list()
		if lerr != nil {
			return File{}, lerr
		}
		if kindOf(files, p) == kindDir {
			return File{}, mistakef(errs.Invalid, "Error: %s is a directory, not a file", p)
		}
		return File{}, notExist(p)
	}
	return f, err
}

// edit stores new content for an existing file after the quota check.
func (t *txn) edit(f File, content string, lim Limits) error {
	files, err := t.list()
	if err != nil {
		return err
	}
	if err := checkQuota(files, f.Path, int64(len(content)), lim); err != nil {
		return err
	}
	_, err = t.write(f.Path, content, ActionEdit, "")
	return err
}

// strReplace replaces the one occurrence of old with new and returns a snippet of the
// result around the change.
func (t *txn) strReplace(p, old, repl string, lim Limits) (string, error) {
	if old == "" {
		return "", mistakef(errs.Invalid, "Error: old_str must not be empty")
	}
	f, err := t.existing(p)
	if err != nil {
		return "", err
	}
	switch n := strings.Count(f.Content, old); {
	case n == 0:
		return "", mistakef(errs.Invalid, "No replacement was performed, old_str `%s` did not appear verbatim in %s.", old, p)
	case n > 1:
		return "", mistakef(errs.Invalid, "No replacement was performed. Multiple occurrences of old_str `%s` in lines: %v. Please ensure it is unique",
			old, occurrenceLines(f.Content, old))
	}
	at := strings.Index(f.Content, old)
	content := f.Content[:at] + repl + f.Content[at+len(old):]
	if err := t.edit(f, content, lim); err != nil {
		return "", err
	}
	first := strings.Count(content[:at], "\n") + 1
	last := first + strings.Count(repl, "\n")
	return snippet(content, first-4, last+4), nil
}

// insert puts text after line n (0 inserts at the top).
func (t *txn) insert(p string, n int64, text string, lim Limits) error {
	f, err := t.existing(p)
	if err != nil {
		return err
	}
	lines := splitLines(f.Content)
	if n < 0 || n > int64(len(lines)) {
		return mistakef(errs.Invalid, "Error: Invalid `insert_line` parameter: %d. It should be within the range of lines of the file: [0, %d]", n, len(lines))
	}
	added := splitLines(text)
	if len(added) == 0 {
		added = []string{""}
	}
	out := make([]string, 0, len(lines)+len(added))
	out = append(out, lines[:n]...)
	out = append(out, added...)
	out = append(out, lines[n:]...)
	return t.edit(f, strings.Join(out, "\n")+"\n", lim)
}

// remove deletes a file, or a directory with everything in it; it returns how many files
// went.
func (t *txn) delete(p string) (int, error) {
	if p == Root {
		return 0, mistakef(errs.Invalid, "Error: %s itself cannot be deleted; delete the files in it", Root)
	}
	files, err := t.list()
	if err != nil {
		return 0, err
	}
	gone := filesUnder(files, p)
	if len(gone) == 0 {
		return 0, notExist(p)
	}
	for _, f := range gone {
		if _, err := t.remove(f.Path, ActionDelete, ""); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}

// rename moves a file, or a directory with everything in it. Sizes do not change, so no
// quota applies.
func (t *txn) rename(from, to string) error {
	if from == Root || to == Root {
		return mistakef(errs.Invalid, "Error: %s itself cannot be renamed", Root)
	}
	if from == to {
		return mistakef(errs.Invalid, "Error: old_path and new_path are the same")
	}
	if under(to, from) {
		return mistakef(errs.Invalid, "Error: cannot move %s into itself", from)
	}
	files, err := t.list()
	if err != nil {
		return err
	}
	moving := filesUnder(files, from)
	if len(moving) == 0 {
		return notExist(from)
	}
	if kindOf(files, to) != kindNone {
		return mistakef(errs.Conflict, "Error: The destination %s already exists", to)
	}
	var staying []FileInfo
	for _, f := range files {
		if !under(f.Path, from) {
			staying = append(staying, f)
		}
	}
	if err := checkPlace(staying, to); err != nil {
		return err
	}
	for _, fi := range moving {
		dest := to + strings.TrimPrefix(fi.Path, from)
		if len(dest) > maxPathBytes || strings.Count(dest, "/")-1 > maxDepth {
			return mistakef(errs.Invalid, "Error: moving %s to %s would make a path too long or too deep", fi.Path, dest)
		}
		f, err := t.get(fi.Path)
		if err != nil {
			return err
		}
		if _, err := t.write(dest, f.Content, ActionRename, f.Path); err != nil {
			return err
		}
		if _, err := t.remove(f.Path, ActionRename, dest); err != nil {
			return err
		}
	}
	return nil
}

// splitLines splits text into lines; a final newline does not start another line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// numbered renders lines from..to (1-based, inclusive) with line numbers, as `cat -n`.
func numbered(lines []string, from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%6d\t%s\n", i, lines[i-1])
	}
	return b.String()
}

// snippet returns lines from..to of content, clamped to the file, with line numbers.
func snippet(content string, from, to int) string {
	lines := splitLines(content)
	from, to = max(1, from), min(len(lines), to)
	if from > to {
		return ""
	}
	return numbered(lines, from, to)
}

// occurrenceLines lists the lines on which sub occurs (counted as strings.Count does,
// without overlaps), each line once.
func occurrenceLines(content, sub string) []int {
	var out []int
	for off := 0; ; {
		i := strings.Index(content[off:], sub)
		if i < 0 {
			return out
		}
		line := strings.Count(content[:off+i], "\n") + 1
		if len(out) == 0 || out[len(out)-1] != line {
			out = append(out, line)
		}
		off += i + len(sub)
	}
}

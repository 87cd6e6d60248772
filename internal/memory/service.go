// Package memory keeps each user's memory files: a small tree of text files under
// /memories that the assistant reads and writes with the memory tool (the semantics of
// Anthropic's memory tool) and the user reads, edits, deletes and reverts through the API.
// Every change is stored as a version. Memory content is user content: it is never logged.
package memory

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/errs"
)

// Limits are the size quotas of a user's memory, from their plan. A limit of zero or less
// means no limit.
type Limits struct {
	MaxFileBytes  int64
	MaxTotalBytes int64
}

// Service reads and changes memory files.
type Service struct {
	db  *db.DB
	now func() time.Time
	// LimitsFor returns the quotas that apply to a user's own edits through the API (the
	// tool gets its limits from the caller). Wiring sets it from the user's plan; when nil
	// there is no quota.
	LimitsFor func(ctx context.Context, userID string) (Limits, error)
	// AllowWrite, when set, rate-limits the user's changes through the API (each keeps a
	// version); it returns a rate_limited error when they come too fast.
	AllowWrite func(ctx context.Context, userID string) error
}

// NewService returns a Service on d; now is the clock (time.Now in production).
func NewService(d *db.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, now: now}
}

// mistake is an error in a command: the model sees its text as the tool result, the API
// answers it with its code. Storage failures are ordinary errors instead.
type mistake struct {
	code errs.Code
	msg  string
}

func (m *mistake) Error() string { return m.msg }

func mistakef(code errs.Code, format string, args ...any) *mistake {
	return &mistake{code: code, msg: fmt.Sprintf(format, args...)}
}

// apiError turns a mistake into the API's error type; other errors pass through.
func apiError(err error) error {
	if m, ok := err.(*mistake); ok {
		return errs.E(m.code, "%s", m.msg)
	}
	return err
}

func notExist(p string) *mistake {
	return mistakef(errs.NotFound, "The path %s does not exist. Please provide a valid path.", p)
}

// checkText refuses content the database cannot hold faithfully.
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return mistakef(errs.Invalid, "Error: %s is not valid UTF-8 text.", field)
	}
	if strings.ContainsRune(s, 0) {
		return mistakef(errs.Invalid, "Error: %s contains a NUL character; memory files hold text only.", field)
	}
	return nil
}

// checkQuota verifies that giving path newSize bytes keeps within the limits, given the
// current files of the tree. A change that does not grow the file is always allowed, so a
// tree over a plan's smaller quota (after a downgrade) can still be trimmed step by step.
func checkQuota(files []FileInfo, path string, newSize int64, lim Limits) error {
	var total, old int64
	for _, f := range files {
		total += f.Size
		if f.Path == path {
			old = f.Size
		}
	}
	if newSize <= old {
		return nil
	}
	if lim.MaxFileBytes > 0 && newSize > lim.MaxFileBytes {
		return mistakef(errs.TooLarge, "Error: %s would be %d bytes; a memory file may hold at most %d bytes. Keep memory files short: summarise, or split the content into several files.",
			path, newSize, lim.MaxFileBytes)
	}
	if after := total - old + newSize; lim.MaxTotalBytes > 0 && after > lim.MaxTotalBytes {
		return mistakef(errs.TooLarge, "Error: memory is full: this change would bring it to %d bytes, over the limit of %d bytes (%d in use now). Delete or shorten memory files that are no longer useful, then try again.",
			after, lim.MaxTotalBytes, total)
	}
	return nil
}

// kind says what a path names in the tree.
type kind int

const (
	kindNone kind = iota
	kindFile
	kindDir
)

func kindOf(files []FileInfo, p string) kind {
	if p == Root {
		return kindDir
	}
	for _, f := range files {
		if f.Path == p {
			return kindFile
		}
		if strings.HasPrefix(f.Path, p+"/") {
			return kindDir
		}
	}
	return kindNone
}

// checkPlace verifies that a new file can live at p: it is not a directory and no parent
// of it is a file.
func checkPlace(files []FileInfo, p string) error {
	if p == Root {
		return mistakef(errs.Invalid, "Error: %s is a directory; give a file path such as %s/notes.md", Root, Root)
	}
	if kindOf(files, p) == kindDir {
		return mistakef(errs.Conflict, "Error: %s is a directory", p)
	}
	for _, d := range parentDirs(p) {
		if kindOf(files, d) == kindFile {
			return mistakef(errs.Conflict, "Error: %s is a file, so it cannot contain %s", d, p)
		}
	}
	return nil
}

// filesUnder returns the files at or below p.
func filesUnder(files []FileInfo, p string) []FileInfo {
	var out []FileInfo
	for _, f := range files {
		if under(f.Path, p) {
			out = append(out, f)
		}
	}
	return out
}

package memory

import (
	"context"
	"strings"

	"myally.app/ally/internal/errs"
)

// The methods in this file serve the user's own view of their memory (the HTTP API).
// Paths are given relative to /memories, as in /api/v1/memory/notes/food.md.

// Tree is a user's memory: every file, with the space used and the quota.
type Tree struct {
	Files      []FileInfo `json:"files"`
	TotalBytes int64      `json:"total_bytes"`
	// Limits are the plan's quotas; nil is no limit.
	Limits struct {
		MaxFileBytes  *int64 `json:"max_file_bytes"`
		MaxTotalBytes *int64 `json:"max_total_bytes"`
	} `json:"limits"`
}

// Tree lists the user's files.
func (s *Service) Tree(ctx context.Context, userID string) (Tree, error) {
	files, err := listFiles(ctx, s.db.R, userID)
	if err != nil {
		return Tree{}, err
	}
	lim, err := s.limits(ctx, userID)
	if err != nil {
		return Tree{}, err
	}
	t := Tree{Files: files}
	if t.Files == nil {
		t.Files = []FileInfo{}
	}
	for _, f := range files {
		t.TotalBytes += f.Size
	}
	t.Limits.MaxFileBytes, t.Limits.MaxTotalBytes = limit(lim.MaxFileBytes), limit(lim.MaxTotalBytes)
	return t, nil
}

// limit returns a quota for the API: nil when there is none.
func limit(v int64) *int64 {
	if v <= 0 {
		return nil
	}
	return &v
}

// APIPath turns a path relative to /memories into a stored path, refusing bad ones.
func APIPath(rel string) (string, error) {
	if strings.Contains(rel, "//") {
		return "", errs.InvalidField("path", "the path %q has an empty name (\"//\"); send the plain path", rel)
	}
	rel = strings.TrimPrefix(rel, "/")
	if rel == "" {
		return "", errs.InvalidField("path", "give the path of a file under %s", Root)
	}
	p, err := normalize(Root + "/" + rel)
	if err != nil {
		return "", errs.InvalidField("path", "%v", err)
	}
	return p, nil
}

// Read returns one of the user's files.
func (s *Service) Read(ctx context.Context, userID, path string) (File, error) {
	f, err := getFile(ctx, s.db.R, userID, path)
	if err == errNoFile {
		return File{}, errs.NotFoundf("no memory file %s", path)
	}
	return f, err
}

// Write creates or replaces a file as the user, within their quota, and returns the file
// and the id of the new version.
func (s *Service) Write(ctx context.Context, userID, path, content string) (f File, created bool, versionID string, err error) {
	if err := checkText("content", content); err != nil {
		return File{}, false, "", apiError(err)
	}
	lim, err := s.limits(ctx, userID)
	if err != nil {
		return File{}, false, "", err
	}
	err = s.mutate(ctx, userID, AuthorUser, func(t *txn) error {
		if created, versionID, err = t.put(path, content, lim); err != nil {
			return err
		}
		f, err = t.get(path)
		return err
	})
	if err != nil {
		return File{}, false, "", apiError(err)
	}
	return f, created, versionID, nil
}

// Delete removes a file, or a directory with its files, as the user; it returns how
// many files went.
func (s *Service) Delete(ctx context.Context, userID, path string) (int, error) {
	var n int
	err := s.mutate(ctx, userID, AuthorUser, func(t *txn) (err error) {
		n, err = t.delete(path)
		return err
	})
	return n, apiError(err)
}

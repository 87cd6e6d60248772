package memory

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Root is the directory every memory path lives under.
const Root = "/memories"

// Path rules keep the tree small and every path printable. They are checked before any
// storage is touched, so a bad path never reaches the database.
const (
	maxPathBytes    = 512
	maxSegmentBytes = 128
	maxDepth        = 8
)

// normalize turns a path given by the model or the user into its stored form: absolute,
// under /memories, without duplicate or trailing slashes. Paths that leave the tree or
// hide in it (".", "..", control characters, invisible formatting characters,
// backslashes) are refused rather than cleaned,
// so a path means exactly what it says.
func normalize(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("the path is empty; memory paths start with %s", Root)
	}
	if len(p) > maxPathBytes {
		return "", fmt.Errorf("the path is longer than %d bytes", maxPathBytes)
	}
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("the path is not valid UTF-8")
	}
	for _, r := range p {
		if r == '\\' || unicode.IsControl(r) {
			return "", fmt.Errorf("the path %q contains a character that is not allowed (backslash or control character)", p)
		}
		if invisible(r) {
			return "", fmt.Errorf("the path %q contains the invisible character U+%04X (a direction mark, zero-width or other formatting character); use visible characters only", p, r)
		}
	}
	if p != Root && !strings.HasPrefix(p, Root+"/") {
		return "", fmt.Errorf("the path %s is outside %s; every memory path starts with %s/", p, Root, Root)
	}
	var segs []string
	for _, s := range strings.Split(strings.TrimPrefix(p, Root), "/") {
		switch s {
		case "":
			continue
		case ".", "..":
			return "", fmt.Errorf("the path %s uses %q; use plain paths under %s", p, s, Root)
		}
		if len(s) > maxSegmentBytes {
			return "", fmt.Errorf("a name in the path %s is longer than %d bytes", p, maxSegmentBytes)
		}
		if strings.TrimSpace(s) != s {
			return "", fmt.Errorf("a name in the path %q starts or ends with a space", p)
		}
		segs = append(segs, s)
	}
	if len(segs) > maxDepth {
		return "", fmt.Errorf("the path %s is nested deeper than %d levels", p, maxDepth)
	}
	if len(segs) == 0 {
		return Root, nil
	}
	return Root + "/" + strings.Join(segs, "/"), nil
}

// invisible reports whether r is a format character (Unicode category Cf: bidi controls,
// zero-width spaces and joiners, the byte order mark, …) or a line or paragraph separator.
// Such characters would let two paths that look the same name different files, or make a
// path display differently from what it is.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// under reports whether file lies inside directory dir (or is dir itself).
func under(file, dir string) bool {
	return file == dir || strings.HasPrefix(file, dir+"/")
}

// parentDirs lists the directories that contain p, nearest last, excluding the root.
func parentDirs(p string) []string {
	var out []string
	rest := strings.TrimPrefix(p, Root+"/")
	segs := strings.Split(rest, "/")
	for i := 1; i < len(segs); i++ {
		out = append(out, Root+"/"+strings.Join(segs[:i], "/"))
	}
	return out
}

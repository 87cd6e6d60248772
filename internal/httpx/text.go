package httpx

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"myally.app/ally/internal/errs"
)

// Text input is refused, never repaired: invalid UTF-8 (raw bytes, or a lone UTF-16
// surrogate written as a \u escape) would otherwise be replaced by U+FFFD without a word,
// and a NUL cannot be stored by PostgreSQL at all. Both databases give the same answer
// because the check happens before any storage.

// CheckText refuses s unless it is valid UTF-8 without a NUL character; field names the
// input in the error.
func CheckText(field, s string) error {
	if !utf8.ValidString(s) {
		return errs.InvalidField(field, "%s is not valid UTF-8 text", describe(field))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errs.InvalidField(field, "%s contains a NUL character, which is not allowed", describe(field))
	}
	return nil
}

func describe(field string) string {
	if field == "" {
		return "the request body"
	}
	return "field " + strconv.Quote(field)
}

// checkJSONText walks the JSON text raw and refuses the first string (key or value) that
// holds invalid UTF-8, a lone surrogate escape or a NUL, naming its path ("a.b[2].c") as
// the field. Malformed JSON is left for the decoder to report.
func checkJSONText(raw []byte) error {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u`)) {
		return nil // the common case: nothing that could decode to a NUL or a bad rune
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// One frame per open object or array: the path element of the value being read.
	type frame struct {
		array bool
		index int
		key   string
		ready bool // an object's key was read; the next token is its value
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.array:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			case f.ready:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	// valueDone moves the innermost frame past the value just read.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].ready = false
			}
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, frame{array: t == '['})
			case '}', ']':
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			top := len(stack) - 1
			isKey := top >= 0 && !stack[top].array && !stack[top].ready
			if err := checkToken(path(), raw[start:dec.InputOffset()], t); err != nil {
				return err
			}
			if isKey {
				stack[top].key, stack[top].ready = t, true
				continue
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			return nil // the first value is complete; trailing data is the decoder's to refuse
		}
	}
}

// checkToken refuses a string token, src being its source text and s its decoded value,
// that is not valid UTF-8 or holds a NUL.
func checkToken(field string, src []byte, s string) error {
	if !utf8.Valid(src) || hasLoneSurrogate(src) {
		return errs.InvalidField(field, "%s is not valid UTF-8 text", describe(field))
	}
	return CheckText(field, s)
}

// hasLoneSurrogate reports whether JSON source text has a \u escape of a UTF-16 surrogate
// that is not part of a high-low pair (encoding/json turns those into U+FFFD).
func hasLoneSurrogate(src []byte) bool {
	pendingHigh := false
	for i := 0; i < len(src); i++ {
		if src[i] != '\\' || i+1 >= len(src) {
			if pendingHigh {
				return true
			}
			continue
		}
		i++
		if src[i] != 'u' || i+4 >= len(src) {
			if pendingHigh {
				return true
			}
			continue
		}
		v, err := strconv.ParseUint(string(src[i+1:i+5]), 16, 32)
		i += 4
		if err != nil {
			continue // malformed: the decoder refuses it
		}
		switch {
		case v >= 0xD800 && v < 0xDC00:
			if pendingHigh {
				return true
			}
			pendingHigh = true
		case v >= 0xDC00 && v < 0xE000:
			if !pendingHigh {
				return true
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return true
			}
		}
	}
	return pendingHigh
}

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// This file edits containerd's main config as text, so that everything
// wasmtee does not change (comments, order, formatting) stays as the user
// wrote it. The scanner only looks at the top level of the document, the
// key/value pairs before the first table header; the file has already
// been parsed with a real TOML parser when it gets here, so the scanner
// can rely on it being valid.

// tomlEntry is a top-level key/value pair of a TOML document.
type tomlEntry struct {
	key        []string // the key's parts, unquoted: a.b = 1 is ["a", "b"]
	valueStart int      // offset of the value's first byte
	valueEnd   int      // offset just past the value
	lineEnd    int      // offset just past the entry's line (its newline, or EOF)
}

// tomlTopLevel returns the top-level key/value pairs of src and the offset
// of the first table header (len(src) if there is none).
func tomlTopLevel(src []byte) ([]tomlEntry, int, error) {
	var entries []tomlEntry
	i := 0
	for {
		i = skipSpaceAndComments(src, i, true)
		if i >= len(src) {
			return entries, len(src), nil
		}
		if src[i] == '[' {
			return entries, i, nil
		}
		key, j, err := scanKey(src, i)
		if err != nil {
			return nil, 0, err
		}
		j = skipBlank(src, j)
		if j >= len(src) || src[j] != '=' {
			return nil, 0, fmt.Errorf("offset %d: want '=' after key %q", j, strings.Join(key, "."))
		}
		j = skipBlank(src, j+1)
		end, err := scanValue(src, j)
		if err != nil {
			return nil, 0, err
		}
		e := tomlEntry{key: key, valueStart: j, valueEnd: end}
		// The rest of the line: blanks and an optional comment.
		k := skipBlank(src, end)
		if k < len(src) && src[k] == '#' {
			for k < len(src) && src[k] != '\n' {
				k++
			}
		}
		if k < len(src) && src[k] == '\r' {
			k++
		}
		if k < len(src) {
			if src[k] != '\n' {
				return nil, 0, fmt.Errorf("offset %d: unexpected %q after the value of %q", k, src[k], strings.Join(key, "."))
			}
			k++
		}
		e.lineEnd = k
		entries = append(entries, e)
		i = k
	}
}

// skipBlank skips spaces and tabs.
func skipBlank(src []byte, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return i
}

// skipSpaceAndComments skips blanks and comments, and newlines if
// newlines is set.
func skipSpaceAndComments(src []byte, i int, newlines bool) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t':
			i++
		case newlines && (c == '\n' || c == '\r'):
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// scanKey reads a possibly dotted, possibly quoted key starting at i.
func scanKey(src []byte, i int) ([]string, int, error) {
	var parts []string
	for {
		i = skipBlank(src, i)
		if i >= len(src) {
			return nil, i, errors.New("unexpected end of file in a key")
		}
		switch c := src[i]; {
		case c == '"' || c == '\'':
			end, err := scanValue(src, i)
			if err != nil {
				return nil, i, err
			}
			s, err := unquoteTOML(src[i:end])
			if err != nil {
				return nil, i, err
			}
			parts = append(parts, s)
			i = end
		case isBareKeyByte(c):
			j := i
			for j < len(src) && isBareKeyByte(src[j]) {
				j++
			}
			parts = append(parts, string(src[i:j]))
			i = j
		default:
			return nil, i, fmt.Errorf("offset %d: unexpected %q in a key", i, c)
		}
		j := skipBlank(src, i)
		if j < len(src) && src[j] == '.' {
			i = j + 1
			continue
		}
		return parts, i, nil
	}
}

// unquoteTOML decodes a one-line basic or literal string. Keys are never
// multi-line strings.
func unquoteTOML(q []byte) (string, error) {
	if len(q) < 2 {
		return "", fmt.Errorf("bad string %q", q)
	}
	if q[0] == '\'' {
		return string(q[1 : len(q)-1]), nil
	}
	var b strings.Builder
	s := q[1 : len(q)-1]
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", fmt.Errorf("bad escape in %q", q)
		}
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case '"', '\\':
			b.WriteByte(s[i])
		case 'u', 'U':
			n := 4
			if s[i] == 'U' {
				n = 8
			}
			if i+1+n > len(s) {
				return "", fmt.Errorf("bad escape in %q", q)
			}
			var r rune
			for _, h := range s[i+1 : i+1+n] {
				var d byte
				switch {
				case h >= '0' && h <= '9':
					d = h - '0'
				case h >= 'a' && h <= 'f':
					d = h - 'a' + 10
				case h >= 'A' && h <= 'F':
					d = h - 'A' + 10
				default:
					return "", fmt.Errorf("bad escape in %q", q)
				}
				r = r<<4 | rune(d)
			}
			b.WriteRune(r)
			i += n
		default:
			return "", fmt.Errorf("bad escape in %q", q)
		}
	}
	return b.String(), nil
}

// scanValue returns the offset just past the value that starts at i.
func scanValue(src []byte, i int) (int, error) {
	if i >= len(src) {
		return i, errors.New("unexpected end of file: missing a value")
	}
	rest := src[i:]
	switch {
	case bytes.HasPrefix(rest, []byte(`"""`)):
		return scanMultiline(src, i, '"')
	case bytes.HasPrefix(rest, []byte(`'''`)):
		return scanMultiline(src, i, '\'')
	case rest[0] == '"':
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			case '\n':
				return j, fmt.Errorf("offset %d: newline in a string", j)
			}
		}
		return len(src), errors.New("unterminated string")
	case rest[0] == '\'':
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case '\'':
				return j + 1, nil
			case '\n':
				return j, fmt.Errorf("offset %d: newline in a string", j)
			}
		}
		return len(src), errors.New("unterminated string")
	case rest[0] == '[':
		layout, err := scanArray(src, i)
		return layout.end, err
	case rest[0] == '{':
		return scanInlineTable(src, i)
	}
	// A number, boolean or date-time. A date-time may hold one space
	// between the date and the time (1979-05-27 07:32:00).
	j := i
	for j < len(src) && !strings.ContainsRune(" \t\r\n#,]}", rune(src[j])) {
		j++
	}
	if j-i == 10 && src[i+4] == '-' && src[i+7] == '-' && j+1 < len(src) && src[j] == ' ' && src[j+1] >= '0' && src[j+1] <= '9' {
		j++
		for j < len(src) && !strings.ContainsRune(" \t\r\n#,]}", rune(src[j])) {
			j++
		}
	}
	if j == i {
		return i, fmt.Errorf("offset %d: missing a value", i)
	}
	return j, nil
}

// scanMultiline scans a multi-line string delimited by three q.
func scanMultiline(src []byte, i int, q byte) (int, error) {
	delim := []byte{q, q, q}
	for j := i + 3; j < len(src); j++ {
		if q == '"' && src[j] == '\\' {
			j++
			continue
		}
		if bytes.HasPrefix(src[j:], delim) {
			end := j + 3
			// Up to two quotes may end the content right before the delimiter.
			for n := 0; n < 2 && end < len(src) && src[end] == q; n++ {
				end++
			}
			return end, nil
		}
	}
	return len(src), errors.New("unterminated multi-line string")
}

// arrayLayout describes an array value in the source text.
type arrayLayout struct {
	start   int // offset of '['
	close   int // offset of ']'
	end     int // offset just past ']'
	lastEnd int // offset just past the last element; -1 if the array is empty
}

// scanArray scans the array that starts with '[' at i.
func scanArray(src []byte, i int) (arrayLayout, error) {
	a := arrayLayout{start: i, lastEnd: -1}
	j := i + 1
	for {
		j = skipSpaceAndComments(src, j, true)
		if j >= len(src) {
			return a, errors.New("unterminated array")
		}
		switch src[j] {
		case ']':
			a.close, a.end = j, j+1
			return a, nil
		case ',':
			j++
		default:
			end, err := scanValue(src, j)
			if err != nil {
				return a, err
			}
			a.lastEnd, j = end, end
		}
	}
}

// scanInlineTable scans the inline table that starts with '{' at i.
func scanInlineTable(src []byte, i int) (int, error) {
	j := i + 1
	for {
		j = skipSpaceAndComments(src, j, true)
		if j >= len(src) {
			return j, errors.New("unterminated inline table")
		}
		switch src[j] {
		case '}':
			return j + 1, nil
		case ',':
			j++
			continue
		}
		_, k, err := scanKey(src, j)
		if err != nil {
			return k, err
		}
		k = skipBlank(src, k)
		if k >= len(src) || src[k] != '=' {
			return k, fmt.Errorf("offset %d: want '=' in an inline table", k)
		}
		if j, err = scanValue(src, skipBlank(src, k+1)); err != nil {
			return j, err
		}
	}
}

// tomlQuote returns s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// addImport returns src with path added to its top-level imports: appended
// to an existing imports array, or as a new imports key after the last
// top-level key (before any table). Everything else is left as it was.
func addImport(src []byte, path string) ([]byte, error) {
	entries, firstTable, err := tomlTopLevel(src)
	if err != nil {
		return nil, err
	}
	insert := func(at int, s string) []byte {
		out := make([]byte, 0, len(src)+len(s))
		out = append(out, src[:at]...)
		out = append(out, s...)
		return append(out, src[at:]...)
	}
	for _, e := range entries {
		if len(e.key) != 1 || e.key[0] != "imports" {
			continue
		}
		if src[e.valueStart] != '[' {
			return nil, errors.New("imports is not a list")
		}
		a, err := scanArray(src, e.valueStart)
		if err != nil {
			return nil, err
		}
		if a.lastEnd < 0 {
			return insert(a.start+1, tomlQuote(path)), nil
		}
		return insert(a.lastEnd, ", "+tomlQuote(path)), nil
	}

	nl := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		nl = "\r\n"
	}
	line := "imports = [" + tomlQuote(path) + "]" + nl
	at := 0
	if len(entries) > 0 {
		at = entries[len(entries)-1].lineEnd
	}
	if at > firstTable {
		at = firstTable // cannot happen: entries come before the first table
	}
	if at > 0 && src[at-1] != '\n' {
		line = nl + line
	}
	return insert(at, line), nil
}

package image

import (
	"errors"
	"strings"
	"testing"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means an error is expected
		tag  string
	}{
		{"example.com/hello:1", "example.com/hello:1", "1"},
		{"example.com/team/hello:v1.2-rc_3", "example.com/team/hello:v1.2-rc_3", "v1.2-rc_3"},
		{"example.com/hello", "example.com/hello:latest", "latest"},
		{"localhost/hello:1", "localhost/hello:1", "1"},
		{"localhost:5000/hello", "localhost:5000/hello:latest", "latest"},
		{"127.0.0.1:5000/a/b/c:x", "127.0.0.1:5000/a/b/c:x", "x"},
		{"[::1]:5000/hello:1", "[::1]:5000/hello:1", "1"},
		{"Registry/hello:1", "Registry/hello:1", "1"},
		{"hello", "docker.io/library/hello:latest", "latest"},
		{"hello:1", "docker.io/library/hello:1", "1"},
		{"team/hello:1", "docker.io/team/hello:1", "1"},
		{"docker.io/hello:1", "docker.io/library/hello:1", "1"},
		{"index.docker.io/team/hello", "docker.io/team/hello:latest", "latest"},
		{"a__b/c.d-e---f:1", "docker.io/a__b/c.d-e---f:1", "1"},
		{"", "", ""},
		{"example.com/Hello:1", "", ""},
		{"example.com/hello:", "", ""},
		{"example.com/hello:-x", "", ""},
		{"example.com/hello:" + strings.Repeat("x", 129), "", ""},
		{"example.com/hello@sha256:" + strings.Repeat("0", 64), "", ""},
		{"example.com//hello", "", ""},
		{"example.com/hello/", "", ""},
		{"example.com/", "", ""},
		{"example.com/-hello", "", ""},
		{"example.com/hello_", "", ""},
		{"example.com/a___b", "", ""},
		{"exa_mple.com/hello", "", ""},
		{"example.com:port/hello", "", ""},
		{"hello world", "", ""},
		{"example.com/" + strings.Repeat("a", 250), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReference(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseReference(%q) = %q, want an error", tt.in, got)
				}
				if !errors.Is(err, ErrInvalidReference) {
					t.Errorf("error %v is not ErrInvalidReference", err)
				}
				if !strings.Contains(err.Error(), tt.in) {
					t.Errorf("error %q does not quote the input", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReference(%q): %v", tt.in, err)
			}
			if got.String() != tt.want || got.Tag != tt.tag {
				t.Errorf("ParseReference(%q) = %q (tag %q), want %q (tag %q)", tt.in, got, got.Tag, tt.want, tt.tag)
			}
		})
	}
}

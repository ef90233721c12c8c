package image

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFileSpec(t *testing.T) {
	tests := []struct {
		spec    string
		want    File
		wantErr string // substring; "" means success
	}{
		{spec: "data.txt:/etc/data.txt", want: File{HostPath: "data.txt", GuestPath: "/etc/data.txt"}},
		{spec: "/abs/x:/x", want: File{HostPath: "/abs/x", GuestPath: "/x"}},
		{spec: "odd:name.txt:/x", want: File{HostPath: "odd:name.txt", GuestPath: "/x"}},
		{spec: "data.txt", wantErr: "want HOST:GUEST"},
		{spec: ":/x", wantErr: "empty host path"},
		{spec: "data.txt:", wantErr: "empty guest path"},
		{spec: "data.txt:etc/x", wantErr: "must be absolute"},
		{spec: "data.txt:/etc/../x", wantErr: "'..'"},
		{spec: "data.txt:/etc/./x", wantErr: "not a clean path"},
		{spec: "data.txt:/etc/", wantErr: "not a clean path"},
		{spec: "data.txt:/", wantErr: "root directory"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseFileSpec(tt.spec)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseFileSpec(%q): %v", tt.spec, err)
				}
				if got != tt.want {
					t.Errorf("ParseFileSpec(%q) = %+v, want %+v", tt.spec, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseFileSpec(%q) = %+v, want an error", tt.spec, got)
			}
			if !errors.Is(err, ErrInvalidFileSpec) {
				t.Errorf("error %v is not ErrInvalidFileSpec", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.spec) {
				t.Errorf("error %q does not contain %q and the spec", err, tt.wantErr)
			}
		})
	}
}

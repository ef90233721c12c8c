package image

import (
	"errors"
	"testing"
)

func TestCheckWasm(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"core module", moduleWithStart, nil},
		{"header only", minimalModule, nil},
		{"component", []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}, ErrComponent},
		{"version 2", []byte{0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00}, ErrNotWasm},
		{"empty", nil, ErrNotWasm},
		{"magic only", []byte{0x00, 'a', 's', 'm'}, ErrNotWasm},
		{"ELF", []byte("\x7fELF\x02\x01\x01\x00"), ErrNotWasm},
		{"text format", []byte("(module\n  (func))"), ErrNotWasm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkWasm("module m.wasm", tt.data)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("checkWasm = %v, want %v", err, tt.want)
			}
		})
	}
}

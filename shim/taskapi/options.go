package taskapi

import "github.com/wasmtee/wasmtee/internal/pbwire"

// UnmarshalAny decodes an encoded google.protobuf.Any, as "shim start"
// receives the runtime options on its stdin.
func UnmarshalAny(b []byte) (*Any, error) {
	var a Any
	if err := a.decode(b); err != nil {
		return nil, err
	}
	return &a, nil
}

// RuntimeOptions is runtimeoptions.v1.Options, the options containerd
// passes a shim for a runtime handler's options table: a TOML body, or the
// path of a TOML file.
type RuntimeOptions struct {
	TypeURL    string
	ConfigPath string
	ConfigBody []byte
}

// Marshal encodes m.
func (m *RuntimeOptions) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.TypeURL)
	b = pbwire.AppendString(b, 2, m.ConfigPath)
	return pbwire.AppendBytes(b, 3, m.ConfigBody)
}

// UnmarshalRuntimeOptions decodes runtimeoptions.v1.Options.
func UnmarshalRuntimeOptions(b []byte) (*RuntimeOptions, error) {
	var m RuntimeOptions
	err := pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.TypeURL)
		case 2:
			return f.Str(&m.ConfigPath)
		case 3:
			return f.Bytes(&m.ConfigBody)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

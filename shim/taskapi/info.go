package taskapi

import "github.com/wasmtee/wasmtee/internal/pbwire"

// MarshalRuntimeInfo encodes the containerd.types.RuntimeInfo a shim
// prints for "-info": name = 1 and version = 2, a RuntimeVersion whose
// version = 1 is the given version. The version message is always
// written, as the shim always sets it.
func MarshalRuntimeInfo(name, version string) []byte {
	b := pbwire.AppendString(nil, 1, name)
	return pbwire.AppendMessage(b, 2, func(b []byte) []byte {
		return pbwire.AppendString(b, 1, version)
	})
}

// MarshalBytesValue encodes google.protobuf.BytesValue (value = 1), the
// message the shim's attestation service exchanges.
func MarshalBytesValue(b []byte) []byte {
	return pbwire.AppendBytes(nil, 1, b)
}

// UnmarshalBytesValue decodes a google.protobuf.BytesValue, giving its
// value (nil when absent) as a copy of the input's bytes.
func UnmarshalBytesValue(b []byte) ([]byte, error) {
	var v []byte
	err := pbwire.EachField(b, func(f pbwire.Field) error {
		if f.Num == 1 {
			return f.Bytes(&v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Package strictjson checks JSON that wasmtee reads from untrusted or
// security-relevant sources (attestation evidence, verification policies)
// beyond what encoding/json does.
package strictjson

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// ExactKeys reports the first object key in data, at any depth, that is not
// spelled exactly as the json name of a field of t (or of the type at that
// depth). encoding/json matches keys without regard to case, even with
// DisallowUnknownFields, so {"mrtd": ...} would fill a field tagged "mrTd"
// and, of {"tee":"tdx","TEE":"none"}, the last would win: evidence and
// policies are security data and must say one thing only.
func ExactKeys(data []byte, t reflect.Type) error { return exactKeys(data, t, "") }

func exactKeys(data []byte, t reflect.Type, at string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return nil // null, or not an object: the typed decoding judged it
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		for k, v := range obj {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("unknown field %q (keys are case-sensitive)", at+k)
			}
			if err := exactKeys(v, ft, at+k+"."); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return nil // bytes: a base64 string
		}
		var list []json.RawMessage
		if json.Unmarshal(data, &list) != nil {
			return nil
		}
		for i, v := range list {
			if err := exactKeys(v, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(at, "."), i)); err != nil {
				return err
			}
		}
	}
	return nil
}

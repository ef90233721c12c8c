package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// withExactKeys returns e, decoded from data, unless data spells an object
// key other than exactly as a json tag of the field it was matched to.
// encoding/json matches keys without regard to case (so "VERSION" or
// "Launch" decode, and of {"tee":"tdx","TEE":"none"} the last wins);
// evidence is read by verifiers and should say one thing only.
func withExactKeys(e *Evidence, data []byte) (*Evidence, error) {
	// The first JSON value only: what the decoder read.
	var first json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&first); err != nil {
		return nil, fmt.Errorf("evidence is not valid JSON: %w", err)
	}
	if err := exactKeys(first, reflect.TypeOf(*e), ""); err != nil {
		return nil, fmt.Errorf("evidence is not valid: %w", err)
	}
	return e, nil
}

// exactKeys reports the first object key in data, at any depth, that is
// not exactly the json name of a field of t (or of the type at that depth).
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

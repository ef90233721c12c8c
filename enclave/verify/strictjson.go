package verify

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// checkExactKeys reports a JSON object key that is not spelled exactly as
// one of t's json tags, at any depth. encoding/json matches keys without
// regard to case, so DisallowUnknownFields alone would accept "mrtd" for
// "mrTd"; a policy is security configuration and should say what it
// means.
func checkExactKeys(data []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil // not an object: the typed decoder reports it
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		for k, v := range obj {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("unknown field %q", path+k)
			}
			if err := checkExactKeys(v, ft, path+k+"."); err != nil {
				return err
			}
		}
	case reflect.Slice:
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return nil
		}
		for i, v := range list {
			if err := checkExactKeys(v, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
	}
	return nil
}

package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/wasmtee/wasmtee/internal/strictjson"
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
	if err := strictjson.ExactKeys(first, reflect.TypeOf(*e)); err != nil {
		return nil, fmt.Errorf("evidence is not valid: %w", err)
	}
	return e, nil
}

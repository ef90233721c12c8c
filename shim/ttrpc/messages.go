package ttrpc

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/wasmtee/wasmtee/internal/pbwire"
)

// request is a decoded ttrpc.Request.
type request struct {
	service     string // field 1
	method      string // field 2
	payload     []byte // field 3
	timeoutNano int64  // field 4; 0 means no deadline
	md          MD     // field 5, repeated KeyValue{key = 1, value = 2}
}

// Field numbers of ttrpc.Request, ttrpc.KeyValue, ttrpc.Response and
// google.rpc.Status.
const (
	reqService     protowire.Number = 1
	reqMethod      protowire.Number = 2
	reqPayload     protowire.Number = 3
	reqTimeoutNano protowire.Number = 4
	reqMetadata    protowire.Number = 5

	kvKey   protowire.Number = 1
	kvValue protowire.Number = 2

	respStatus  protowire.Number = 1
	respPayload protowire.Number = 2

	statusCode    protowire.Number = 1
	statusMessage protowire.Number = 2
)

// appendRequest appends r's encoding to b. Empty fields are left out, as
// proto3 does.
func appendRequest(b []byte, r *request) []byte {
	b = pbwire.AppendString(b, reqService, r.service)
	b = pbwire.AppendString(b, reqMethod, r.method)
	b = pbwire.AppendBytes(b, reqPayload, r.payload)
	b = pbwire.AppendVarint(b, reqTimeoutNano, uint64(r.timeoutNano))
	for k, vs := range r.md {
		for _, v := range vs {
			b = pbwire.AppendMessage(b, reqMetadata, func(b []byte) []byte {
				b = pbwire.AppendString(b, kvKey, k)
				return pbwire.AppendString(b, kvValue, v)
			})
		}
	}
	return b
}

// parseRequest decodes a ttrpc.Request. Unknown fields, and known fields of
// an unexpected wire type, are skipped, as proto.Unmarshal does.
func parseRequest(p []byte) (request, error) {
	var r request
	err := pbwire.EachField(p, func(f pbwire.Field) error {
		switch {
		case f.Num == reqService && f.IsBytes():
			r.service = string(f.B)
		case f.Num == reqMethod && f.IsBytes():
			r.method = string(f.B)
		case f.Num == reqPayload && f.IsBytes():
			r.payload = f.B
		case f.Num == reqTimeoutNano && f.IsVarint():
			r.timeoutNano = int64(f.U)
		case f.Num == reqMetadata && f.IsBytes():
			var k, val string
			if err := pbwire.EachField(f.B, func(f pbwire.Field) error {
				if f.IsBytes() {
					switch f.Num {
					case kvKey:
						k = string(f.B)
					case kvValue:
						val = string(f.B)
					}
				}
				return nil
			}); err != nil {
				return err
			}
			if r.md == nil {
				r.md = MD{}
			}
			r.md[k] = append(r.md[k], val)
		}
		return nil
	})
	return r, wrapMalformed(err)
}

// appendResponse appends the encoding of a ttrpc.Response with status code
// and message and payload to b. The status is always present (empty when
// OK), as containerd/ttrpc's server sends it.
func appendResponse(b []byte, code Code, message string, payload []byte) []byte {
	b = pbwire.AppendMessage(b, respStatus, func(b []byte) []byte {
		b = pbwire.AppendVarint(b, statusCode, uint64(int64(int32(code))))
		return pbwire.AppendString(b, statusMessage, message)
	})
	return pbwire.AppendBytes(b, respPayload, payload)
}

// parseResponse decodes a ttrpc.Response: its status code and message (an
// absent status is OK; status details are skipped) and payload.
func parseResponse(p []byte) (code Code, message string, payload []byte, err error) {
	err = pbwire.EachField(p, func(f pbwire.Field) error {
		if !f.IsBytes() {
			return nil
		}
		switch f.Num {
		case respStatus:
			// Repeated occurrences of a message field merge: decode each
			// into the same values.
			return pbwire.EachField(f.B, func(f pbwire.Field) error {
				switch {
				case f.Num == statusCode && f.IsVarint():
					code = Code(uint32(int32(f.U)))
				case f.Num == statusMessage && f.IsBytes():
					message = string(f.B)
				}
				return nil
			})
		case respPayload:
			payload = f.B
		}
		return nil
	})
	return code, message, payload, wrapMalformed(err)
}

// wrapMalformed names ttrpc in the error of a message that cannot be
// parsed.
func wrapMalformed(err error) error {
	if err != nil {
		return fmt.Errorf("ttrpc: %w", err)
	}
	return nil
}

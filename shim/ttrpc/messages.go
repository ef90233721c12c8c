package ttrpc

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
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

var errTruncated = errors.New("ttrpc: malformed protobuf message")

// appendRequest appends r's encoding to b. Empty fields are left out, as
// proto3 does.
func appendRequest(b []byte, r *request) []byte {
	b = appendString(b, reqService, r.service)
	b = appendString(b, reqMethod, r.method)
	if len(r.payload) > 0 {
		b = protowire.AppendTag(b, reqPayload, protowire.BytesType)
		b = protowire.AppendBytes(b, r.payload)
	}
	if r.timeoutNano != 0 {
		b = protowire.AppendTag(b, reqTimeoutNano, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.timeoutNano))
	}
	for k, vs := range r.md {
		for _, v := range vs {
			n := 0
			if k != "" {
				n += protowire.SizeTag(kvKey) + protowire.SizeBytes(len(k))
			}
			if v != "" {
				n += protowire.SizeTag(kvValue) + protowire.SizeBytes(len(v))
			}
			b = protowire.AppendTag(b, reqMetadata, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(n))
			b = appendString(b, kvKey, k)
			b = appendString(b, kvValue, v)
		}
	}
	return b
}

// parseRequest decodes a ttrpc.Request. Unknown fields, and known fields of
// an unexpected wire type, are skipped, as proto.Unmarshal does.
func parseRequest(p []byte) (request, error) {
	var r request
	err := eachField(p, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == reqService && typ == protowire.BytesType:
			r.service = string(v)
		case num == reqMethod && typ == protowire.BytesType:
			r.method = string(v)
		case num == reqPayload && typ == protowire.BytesType:
			r.payload = v
		case num == reqTimeoutNano && typ == protowire.VarintType:
			r.timeoutNano = int64(x)
		case num == reqMetadata && typ == protowire.BytesType:
			var k, val string
			if err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if typ == protowire.BytesType {
					switch num {
					case kvKey:
						k = string(v)
					case kvValue:
						val = string(v)
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
	return r, err
}

// appendResponse appends the encoding of a ttrpc.Response with status code
// and message and payload to b. The status is always present (empty when
// OK), as containerd/ttrpc's server sends it.
func appendResponse(b []byte, code Code, message string, payload []byte) []byte {
	n := 0
	if code != OK {
		n += protowire.SizeTag(statusCode) + protowire.SizeVarint(uint64(int64(int32(code))))
	}
	if message != "" {
		n += protowire.SizeTag(statusMessage) + protowire.SizeBytes(len(message))
	}
	b = protowire.AppendTag(b, respStatus, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	if code != OK {
		b = protowire.AppendTag(b, statusCode, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(int32(code))))
	}
	b = appendString(b, statusMessage, message)
	if len(payload) > 0 {
		b = protowire.AppendTag(b, respPayload, protowire.BytesType)
		b = protowire.AppendBytes(b, payload)
	}
	return b
}

// parseResponse decodes a ttrpc.Response: its status code and message (an
// absent status is OK; status details are skipped) and payload.
func parseResponse(p []byte) (code Code, message string, payload []byte, err error) {
	err = eachField(p, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case respStatus:
			// Repeated occurrences of a message field merge: decode each
			// into the same values.
			return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch {
				case num == statusCode && typ == protowire.VarintType:
					code = Code(uint32(int32(x)))
				case num == statusMessage && typ == protowire.BytesType:
					message = string(v)
				}
				return nil
			})
		case respPayload:
			payload = v
		}
		return nil
	})
	return code, message, payload, err
}

// appendString appends field num holding s, unless s is empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// eachField calls f for each field of the protobuf message p, with its
// number and wire type and, for a length-delimited field, its bytes (a
// slice of p) or, for a varint, its value. Other wire types (fixed32,
// fixed64, groups) are checked and skipped.
func eachField(p []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(p) > 0 {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return errTruncated
		}
		p = p[n:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(p)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(p)
		default:
			n = protowire.ConsumeFieldValue(num, typ, p)
		}
		if n < 0 {
			return errTruncated
		}
		p = p[n:]
		if typ == protowire.BytesType || typ == protowire.VarintType {
			if err := f(num, typ, v, x); err != nil {
				return err
			}
		}
	}
	return nil
}

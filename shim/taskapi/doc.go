// Package taskapi encodes and decodes the protobuf messages of containerd's
// task v2 shim API (containerd.task.v2), the task events a shim publishes
// (containerd.events) and the few other messages the shim exchanges with
// containerd, written by hand on top of protowire alone.
//
// It exists so the serving shim need not link containerd's generated
// protobuf types and the protobuf reflection runtime behind them. The types
// mirror the field names of the generated Go types; the tests prove wire
// compatibility against the official generated code.
//
// Decoding follows proto3 as the official Go implementation does: unknown
// fields, and known fields carrying an unexpected wire type, are skipped;
// for a repeated occurrence of a scalar field the last one wins, and
// repeated occurrences of a singular message field are merged; strings
// must be valid UTF-8. Malformed input gives an error, never a panic.
//
// Encoding omits proto3 zero scalars and nil messages. A time.Time field is
// always encoded as a google.protobuf.Timestamp, the zero time included,
// as containerd's protobuf.ToTimestamp followed by proto.Marshal does.
// A message whose fields are all zero encodes as nil, the empty encoding.
// Strings are written as given: the caller must pass valid UTF-8, since
// the official decoder rejects a message with an invalid string.
package taskapi

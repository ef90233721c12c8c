// Package ttrpc is a small implementation of the ttrpc wire protocol, the
// framing containerd (1.6, 1.7 and 2.x) speaks to runtime shims, written
// against the standard library, golang.org/x/sys/unix and protowire only.
//
// It covers what a shim needs: unary calls, in both directions. A Server
// answers containerd's calls to the shim's services; a Client makes the
// shim's calls to containerd (its events service). Payloads are opaque
// bytes: callers encode and decode their own protobuf messages.
//
// # Wire format
//
// Every message is a frame: a 10-byte header (big-endian uint32 data length,
// big-endian uint32 stream id, uint8 message type, uint8 flags) followed by
// at most 4 MiB of data. A client opens a stream with a request frame
// (type 1) on a new odd stream id, larger than any it used before on that
// connection; the server ends it with one response frame (type 2) on the
// same id. The request data is a protobuf ttrpc.Request {service = 1,
// method = 2, payload = 3, timeout_nano = 4, metadata = 5 (repeated
// KeyValue {key = 1, value = 2})}; the response data is a ttrpc.Response
// {status = 1 (google.rpc.Status {code = 1, message = 2, details = 3}),
// payload = 2}.
//
// Streaming (data frames, type 3, and requests flagged "remote open") is not
// supported: the server answers such frames with an Unimplemented status on
// their stream, and the client fails a call that gets one.
package ttrpc

package ttrpc

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
)

const (
	// headerLen is the size of a frame header.
	headerLen = 10
	// maxData is the largest frame data the protocol allows (4 MiB), in
	// both directions.
	maxData = 4 << 20
)

// msgType is a frame's message type.
type msgType uint8

const (
	typeRequest  msgType = 1 // opens a stream: a Request
	typeResponse msgType = 2 // ends a stream: a Response
	typeData     msgType = 3 // stream data (streaming calls only; unsupported)
)

func (t msgType) String() string {
	switch t {
	case typeRequest:
		return "request"
	case typeResponse:
		return "response"
	case typeData:
		return "data"
	}
	return "type " + strconv.Itoa(int(t))
}

// flagRemoteOpen on a request says the client will send data frames on the
// stream: a client-streaming call, which this package does not serve.
const flagRemoteOpen uint8 = 0x2

// header is a decoded frame header.
type header struct {
	length uint32  // data length, header excluded
	stream uint32  // stream id
	typ    msgType // message type
	flags  uint8   // type-specific flags
}

// tooLarge is the status for a frame whose data exceeds maxData, worded as
// containerd/ttrpc words it.
func tooLarge(n uint64) *Status {
	return &Status{Code: ResourceExhausted, Message: fmt.Sprintf("message length %d exceed maximum message size of %d", n, maxData)}
}

// readFrame reads one frame from r. A frame too large is read past (its
// data discarded, so the stream stays in step) and reported as a *Status
// (ResourceExhausted) along with its header; the caller answers it on that
// stream and goes on. Any other error means the connection is unusable.
func readFrame(r *bufio.Reader) (header, []byte, error) {
	var b [headerLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return header{}, nil, err
	}
	h := header{
		length: binary.BigEndian.Uint32(b[0:4]),
		stream: binary.BigEndian.Uint32(b[4:8]),
		typ:    msgType(b[8]),
		flags:  b[9],
	}
	if h.length > maxData {
		if _, err := r.Discard(int(h.length)); err != nil {
			return header{}, nil, fmt.Errorf("ttrpc: discarding an oversized message: %w", err)
		}
		return h, nil, tooLarge(uint64(h.length))
	}
	if h.length == 0 {
		return h, nil, nil
	}
	p := make([]byte, h.length)
	if _, err := io.ReadFull(r, p); err != nil {
		return header{}, nil, fmt.Errorf("ttrpc: reading a message: %w", err)
	}
	return h, p, nil
}

// writeFrame writes one frame to w in a single write (writev on a socket).
// Callers serialize writes to one connection.
func writeFrame(w io.Writer, stream uint32, t msgType, flags uint8, p []byte) error {
	if len(p) > maxData {
		return tooLarge(uint64(len(p)))
	}
	var b [headerLen]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(len(p)))
	binary.BigEndian.PutUint32(b[4:8], stream)
	b[8] = byte(t)
	b[9] = flags
	bufs := net.Buffers{b[:], p}
	_, err := bufs.WriteTo(w)
	return err
}

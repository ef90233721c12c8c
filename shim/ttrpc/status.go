package ttrpc

import (
	"errors"
	"strconv"
)

// Code is a gRPC status code, the codes containerd's errdefs maps errors to.
type Code uint32

// The gRPC status codes, numbered and named as in google.golang.org/grpc/codes.
const (
	OK                 Code = 0
	Canceled           Code = 1
	Unknown            Code = 2
	InvalidArgument    Code = 3
	DeadlineExceeded   Code = 4
	NotFound           Code = 5
	AlreadyExists      Code = 6
	PermissionDenied   Code = 7
	ResourceExhausted  Code = 8
	FailedPrecondition Code = 9
	Aborted            Code = 10
	OutOfRange         Code = 11
	Unimplemented      Code = 12
	Internal           Code = 13
	Unavailable        Code = 14
	DataLoss           Code = 15
	Unauthenticated    Code = 16
)

var codeNames = [...]string{
	OK:                 "OK",
	Canceled:           "Canceled",
	Unknown:            "Unknown",
	InvalidArgument:    "InvalidArgument",
	DeadlineExceeded:   "DeadlineExceeded",
	NotFound:           "NotFound",
	AlreadyExists:      "AlreadyExists",
	PermissionDenied:   "PermissionDenied",
	ResourceExhausted:  "ResourceExhausted",
	FailedPrecondition: "FailedPrecondition",
	Aborted:            "Aborted",
	OutOfRange:         "OutOfRange",
	Unimplemented:      "Unimplemented",
	Internal:           "Internal",
	Unavailable:        "Unavailable",
	DataLoss:           "DataLoss",
	Unauthenticated:    "Unauthenticated",
}

// String returns the code's name as the gRPC codes package spells it, or
// "Code(N)" for a number it does not name.
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// Status is a non-OK call status. A Method returns one (possibly wrapped:
// the server finds it with errors.As) to choose the code of its answer; a
// Client's Call returns one for an answer whose code is not OK.
type Status struct {
	Code    Code
	Message string
}

// Error returns the message alone if set, else the code's name.
func (s *Status) Error() string {
	if s == nil {
		return "ttrpc: nil status"
	}
	if s.Message != "" {
		return s.Message
	}
	return "ttrpc: " + s.Code.String()
}

// statusOf is the code and message a Method's non-nil error is answered
// with. A *Status (or an error wrapping one) gives its code; the message is
// err.Error(), which for an unwrapped *Status is its Message and for a
// wrapped one keeps the wrapper's context (as grpc's status.FromError
// does). Any other error, and a *Status that claims OK (an error is never a
// success), is Unknown.
func statusOf(err error) (Code, string) {
	var st *Status
	if errors.As(err, &st) && st != nil && st.Code != OK {
		if st == err {
			return st.Code, st.Message
		}
		return st.Code, err.Error()
	}
	return Unknown, err.Error()
}

package ttrpc

import (
	"context"
	"strings"
)

// MD is request metadata, key to values: the ttrpc Request's repeated
// KeyValue list, grouped by key in order of arrival.
type MD map[string][]string

// Get returns the first value of key. As containerd/ttrpc's MD.Get looks
// keys up lower-cased, Get tries key as given and then lower-cased.
func (m MD) Get(key string) (string, bool) {
	vs, ok := m[key]
	if !ok || len(vs) == 0 {
		vs, ok = m[strings.ToLower(key)]
	}
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// mdKey is the context key of MD: the metadata a handler's request carried,
// or the metadata a client call sends.
type mdKey struct{}

// Metadata returns the metadata of the request a handler serves (nil if it
// carried none). It also returns what WithMetadata set on ctx, so a handler
// that passes its ctx to a Client call forwards its metadata, as
// containerd/ttrpc does.
func Metadata(ctx context.Context) MD {
	md, _ := ctx.Value(mdKey{}).(MD)
	return md
}

// WithMetadata returns a ctx whose Client calls send md, replacing any
// metadata ctx had.
func WithMetadata(ctx context.Context, md MD) context.Context {
	return context.WithValue(ctx, mdKey{}, md)
}

package shim

import "context"

// nsMetadataKey is the ttrpc metadata key containerd sends a request's
// namespace under.
const nsMetadataKey = "containerd-namespace-ttrpc"

type nsKey struct{}

// withNamespace returns ctx carrying the containerd namespace ns.
func withNamespace(ctx context.Context, ns string) context.Context {
	return context.WithValue(ctx, nsKey{}, ns)
}

// namespaceOf is the containerd namespace ctx carries ("" if none).
func namespaceOf(ctx context.Context) string {
	ns, _ := ctx.Value(nsKey{}).(string)
	return ns
}

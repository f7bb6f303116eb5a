package identity

import "context"

type contextKey struct{}

// NewContext returns a copy of ctx carrying id. The HTTP middleware in
// identity/httpauth uses it to hand the authenticated caller to handlers.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// FromContext returns the identity stored by [NewContext], and false when
// there is none (an unauthenticated request: treat it as "nobody").
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(contextKey{}).(Identity)
	return id, ok && !id.IsZero()
}

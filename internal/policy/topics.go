// The view of a backend cluster's topics that policies use to map topic ids
// to names and back.

package policy

import "context"

// TopicCache maps a backend cluster's topic ids to names and back. One
// cache per backend cluster serves every virtual cluster in front of it;
// it asks the backend when a name or id is unknown, never per request.
type TopicCache interface {
	// NameForID returns the backend name of the topic with id. An unknown
	// id makes the cache ask the backend once (rate limited) before it
	// answers false.
	NameForID(ctx context.Context, id [16]byte) (string, bool)
	// IDForName returns the id of the backend topic name, likewise.
	IDForName(ctx context.Context, name string) ([16]byte, bool)
	// Learn records a name and id seen in a response.
	Learn(name string, id [16]byte)
}

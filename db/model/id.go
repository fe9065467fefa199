package model

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// NodeType names an object type that has a global ID.
type NodeType string

// The node types. The string is the GraphQL type name and part of every
// global ID, so it must never change once clients hold IDs.
const (
	TypeTenant      NodeType = "Tenant"
	TypeBrand       NodeType = "Brand"
	TypeGroup       NodeType = "Group"
	TypeUser        NodeType = "User"
	TypeMembership  NodeType = "Membership"
	TypeBrandAccess NodeType = "BrandAccess"
	TypeArtist      NodeType = "Artist"
	TypeLabel       NodeType = "Label"
	TypeRelease     NodeType = "Release"
	TypeTrack       NodeType = "Track"
	TypeAPIKey      NodeType = "ApiKey"
	// TypeAuditLogEntry entries are read only with audit:read.
	TypeAuditLogEntry NodeType = "AuditLogEntry"
)

var nodeTypes = map[NodeType]bool{
	TypeTenant: true, TypeBrand: true, TypeGroup: true, TypeUser: true, TypeMembership: true,
	TypeBrandAccess: true, TypeArtist: true, TypeLabel: true, TypeRelease: true, TypeTrack: true,
	TypeAPIKey: true, TypeAuditLogEntry: true,
}

// EncodeID builds the opaque global ID of a row: base64url("Type:uuid"), the
// Relay convention, so clients treat it as opaque and IDs of different types
// never collide.
func EncodeID(t NodeType, id string) string {
	var b [96]byte
	return string(AppendID(b[:0], t, id))
}

// AppendID appends the global ID of a row to dst.
func AppendID(dst []byte, t NodeType, id string) []byte {
	var raw [80]byte
	src := append(append(append(raw[:0], t...), ':'), id...)
	return base64.RawURLEncoding.AppendEncode(dst, src)
}

// InvalidIDError reports a global ID that cannot be decoded or names the
// wrong type; it is shown to the client as BAD_USER_INPUT.
type InvalidIDError struct {
	Value  string
	Reason string
}

func (e *InvalidIDError) Error() string {
	return fmt.Sprintf("invalid ID %q: %s", e.Value, e.Reason)
}

// DecodeID splits a global ID into its type and UUID.
func DecodeID(gid string) (NodeType, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", "", &InvalidIDError{Value: gid, Reason: "not a global ID"}
	}
	typ, id, ok := strings.Cut(string(raw), ":")
	if !ok || !nodeTypes[NodeType(typ)] {
		return "", "", &InvalidIDError{Value: gid, Reason: "not a global ID"}
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return "", "", &InvalidIDError{Value: gid, Reason: "Invalid UUID string: " + id}
	}
	return NodeType(typ), u.String(), nil
}

// DecodeIDOf decodes a global ID that must be of type want.
func DecodeIDOf(want NodeType, gid string) (string, error) {
	typ, id, err := DecodeID(gid)
	if err != nil {
		return "", err
	}
	if typ != want {
		return "", &InvalidIDError{Value: gid, Reason: fmt.Sprintf("is a %s ID, expected a %s ID", typ, want)}
	}
	return id, nil
}

// GlobalID is the Relay ID of the tenant.
func (t *Tenant) GlobalID() string { return EncodeID(TypeTenant, t.ID) }

// GlobalID is the Relay ID of the brand.
func (b *Brand) GlobalID() string { return EncodeID(TypeBrand, b.ID) }

// GlobalID is the Relay ID of the group.
func (g *Group) GlobalID() string { return EncodeID(TypeGroup, g.ID) }

// GlobalID is the Relay ID of the user.
func (u *User) GlobalID() string { return EncodeID(TypeUser, u.ID) }

// GlobalID is the Relay ID of the membership.
func (m *Membership) GlobalID() string { return EncodeID(TypeMembership, m.ID) }

// UserGlobalID is the Relay ID of the membership's user, which a client
// may know while the user is not visible (an invitation pending).
func (m *Membership) UserGlobalID() string { return EncodeID(TypeUser, m.UserID) }

// GlobalID is the Relay ID of an invitation: that of its pending
// membership, which acceptInvitation and declineInvitation take.
func (i *Invitation) GlobalID() string { return EncodeID(TypeMembership, i.ID) }

// GlobalID is the Relay ID of the brand access grant.
func (b *BrandAccess) GlobalID() string { return EncodeID(TypeBrandAccess, b.ID) }

// GlobalID is the Relay ID of the artist.
func (a *Artist) GlobalID() string { return EncodeID(TypeArtist, a.ID) }

// GlobalID is the Relay ID of the label.
func (l *Label) GlobalID() string { return EncodeID(TypeLabel, l.ID) }

// GlobalID is the Relay ID of the release.
func (r *Release) GlobalID() string { return EncodeID(TypeRelease, r.ID) }

// GlobalID is the Relay ID of the track.
func (t *Track) GlobalID() string { return EncodeID(TypeTrack, t.ID) }

// Node is implemented by every type with a global ID; the GraphQL Node
// interface binds to it.
type Node interface {
	GlobalID() string
}

// GlobalID is the Relay ID of the API key.
func (k *APIKey) GlobalID() string { return EncodeID(TypeAPIKey, k.ID) }

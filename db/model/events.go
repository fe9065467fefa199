package model

// The payloads of the subscriptions. They hold what a change event says
// (row IDs and statuses, never row content); the rows themselves are read
// when an event is delivered, under the subscriber's own tenant scope.

// ReleaseStatusChange is an event of Subscription.releaseStatusChanged.
type ReleaseStatusChange struct {
	RowID string // the release's UUID
	From  ReleaseStatus
	To    ReleaseStatus
}

// ReleaseID is the release's global ID.
func (c *ReleaseStatusChange) ReleaseID() string { return EncodeID(TypeRelease, c.RowID) }

// MembershipChange is an event of Subscription.membershipChanged.
type MembershipChange struct {
	RowID string // the membership's UUID
	Kind  ChangeKind
}

// MembershipID is the membership's global ID.
func (c *MembershipChange) MembershipID() string { return EncodeID(TypeMembership, c.RowID) }

// CatalogueChange is an event of Subscription.catalogueChanged.
type CatalogueChange struct {
	RowID string // the object's UUID
	Kind  ChangeKind
	Type  CatalogueType
}

// ID is the object's global ID.
func (c *CatalogueChange) ID() string { return EncodeID(c.Type.NodeType(), c.RowID) }

// typeNames are the Node types of the catalogue types.
var typeNames = map[CatalogueType]NodeType{
	CatalogueTypeArtist: TypeArtist, CatalogueTypeLabel: TypeLabel,
	CatalogueTypeRelease: TypeRelease, CatalogueTypeTrack: TypeTrack,
}

// NodeType is the Node type of a catalogue type.
func (t CatalogueType) NodeType() NodeType { return typeNames[t] }

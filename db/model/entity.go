package model

// The federation entities: the Node types the schema marks @key(fields: "id")
// (schema/*.graphqls). gqlgen's federation runtime puts them in the _Entity
// union, whose members say so with IsEntity.

// IsEntity marks a tenant as a federation entity.
func (*Tenant) IsEntity() {}

// IsEntity marks a brand as a federation entity.
func (*Brand) IsEntity() {}

// IsEntity marks a group as a federation entity.
func (*Group) IsEntity() {}

// IsEntity marks a user as a federation entity.
func (*User) IsEntity() {}

// IsEntity marks a membership as a federation entity.
func (*Membership) IsEntity() {}

// IsEntity marks an artist as a federation entity.
func (*Artist) IsEntity() {}

// IsEntity marks a label as a federation entity.
func (*Label) IsEntity() {}

// IsEntity marks a release as a federation entity.
func (*Release) IsEntity() {}

// IsEntity marks a track as a federation entity.
func (*Track) IsEntity() {}

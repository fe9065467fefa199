package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// AuditLogEntry is one write recorded in the audit log (db.Audit).
type AuditLogEntry struct {
	ID         string    `db:"id"`
	TenantID   string    `db:"tenant_id"`
	ActorID    *string   `db:"actor_id"`
	APIKeyID   *string   `db:"api_key_id"`
	ActingAsID *string   `db:"acting_as"`
	Action     string    `db:"action"`
	SubjectID  *string   `db:"subject_id"`
	Detail     JSON      `db:"detail"`
	CreatedAt  time.Time `db:"created_at"`
}

// GlobalID is the Relay ID of the entry.
func (e *AuditLogEntry) GlobalID() string { return EncodeID(TypeAuditLogEntry, e.ID) }

// auditSubjects are the node types that actions act on, by the action's
// object (the part before the dot): "artist.create" acts on an Artist.
var auditSubjects = map[string]NodeType{
	"apiKey": TypeAPIKey, "user": TypeUser, "member": TypeMembership, "membership": TypeMembership,
	"brandAccess": TypeBrandAccess, "brand": TypeBrand, "label": TypeLabel, "artist": TypeArtist,
	"release": TypeRelease,
}

// SubjectType is the type of the object the entry's action acted on; nil
// when the entry has no subject or its action names no known type.
func (e *AuditLogEntry) SubjectType() *string {
	object, _, _ := strings.Cut(e.Action, ".")
	t, ok := auditSubjects[object]
	if !ok || e.SubjectID == nil {
		return nil
	}
	s := string(t)
	return &s
}

// SubjectGlobalID is the Relay ID of the object acted on, when its type
// is known.
func (e *AuditLogEntry) SubjectGlobalID() *string {
	t := e.SubjectType()
	if t == nil {
		return nil
	}
	id := EncodeID(NodeType(*t), *e.SubjectID)
	return &id
}

// AuditLogConnection is a page of audit entries.
type AuditLogConnection struct {
	Conn
	Edges []*AuditLogEdge
}

// AuditLogEdge is one entry of a page.
type AuditLogEdge = Edge[AuditLogEntry]

// JSON is a JSON document, read from a jsonb column and written to
// clients as it is.
type JSON json.RawMessage

// Scan reads a json or jsonb column.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		*j = append(JSON(nil), v...)
	case string:
		*j = JSON(v)
	case nil:
		*j = nil
	default:
		return fmt.Errorf("cannot scan %T into JSON", src)
	}
	return nil
}

// MarshalGQL writes the document; an absent one is null.
func (j JSON) MarshalGQL(w io.Writer) {
	if len(j) == 0 {
		_, _ = io.WriteString(w, "null")
		return
	}
	_, _ = w.Write(j)
}

// UnmarshalGQL reads any JSON value of a client.
func (j *JSON) UnmarshalGQL(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &InputError{Arg: "JSON", Msg: err.Error()}
	}
	*j = b
	return nil
}

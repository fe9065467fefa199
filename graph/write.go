package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"catalogue/db"
	"catalogue/db/model"
	"catalogue/graph/loader"
	"catalogue/internal/auth"
	"catalogue/internal/filter"
)

// userErrs collects what is wrong with an input.
type userErrs []*model.UserError

func (u *userErrs) add(code model.UserErrorCode, msg string, path ...string) {
	if path == nil {
		path = []string{}
	}
	*u = append(*u, &model.UserError{Field: path, Message: msg, Code: code})
}

// rejected carries user errors out of an atomic write, rolling it back.
type rejected struct{ errs userErrs }

func (r *rejected) Error() string { return fmt.Sprintf("%d user errors", len(r.errs)) }

func normalized(v any) (any, bool) { return filter.Normalize(v) }

// writer is one mutation in progress: the caller, the mutation's write
// transaction and the user errors found so far.
type writer struct {
	ctx  context.Context
	p    *auth.Principal
	s    *db.Tx
	errs userErrs
}

// mutate checks perm (when given) and runs fn in a transaction of its own,
// committed before mutate returns. User errors roll the mutation back and
// come back as userErrors; anything else, a failed COMMIT included, is the
// field's error and nothing was stored. The request's read session is
// renewed first: the payload, and any later field of the request, read what
// this mutation committed, and the request never holds two connections.
func mutate(ctx context.Context, store *db.Store, perm auth.Permission, fn func(w *writer) error) (userErrs, error) {
	p, err := auth.From(ctx)
	if err != nil {
		return nil, err
	}
	if perm != "" {
		if err := p.Require(perm); err != nil {
			return nil, err
		}
	}
	reads := loader.For(ctx)
	reads.Renew(ctx)
	err = store.InTx(ctx, reads.Scope(), func(tx *db.Tx) error {
		w := &writer{ctx: ctx, p: p, s: tx}
		if err := fn(w); err != nil {
			return err
		}
		return w.check()
	})
	var rej *rejected
	if errors.As(err, &rej) {
		return rej.errs, nil
	}
	if err != nil {
		return nil, err
	}
	return userErrs{}, nil
}

// check turns collected user errors into a rollback.
func (w *writer) check() error {
	if len(w.errs) > 0 {
		return &rejected{errs: w.errs}
	}
	return nil
}

// reject adds a user error and rolls back.
func (w *writer) reject(code model.UserErrorCode, msg string, path ...string) error {
	w.errs.add(code, msg, path...)
	return w.check()
}

// actor is the user stamped as createdBy/updatedBy: the acting (possibly
// impersonated) user; nil for an API key acting as nobody.
func (w *writer) actor() *string {
	if w.p.UserID == "" {
		return nil
	}
	return &w.p.UserID
}

// tenant is the tenant new rows go to.
func (w *writer) tenant() (string, error) { return actingTenant(w.p) }

func (w *writer) audit(tenantID, action, subject string, detail map[string]any) error {
	return db.Audit(w.ctx, w.s, auditEntry(w.p, tenantID, action, &subject, detail))
}

// dbError turns a write's database error into a user error where the user
// can act on it: a stale version, a missing row, a taken unique value.
func (w *writer) dbError(err error, path ...string) error {
	var ce *db.ConstraintError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, db.ErrStale):
		return w.reject(model.UserErrorCodeStale, "it was changed by someone else since the version you read; load it again", append(path, "expectedVersion")...)
	case errors.Is(err, db.ErrNotFound):
		return w.reject(model.UserErrorCodeNotFound, "no such object", append(path, "id")...)
	case errors.As(err, &ce):
		fields, msg := constraintField(ce)
		code := model.UserErrorCodeInvalid
		switch ce.Kind {
		case "unique":
			code = model.UserErrorCodeTaken
		case "foreign_key":
			code = model.UserErrorCodeNotFound
		}
		return w.reject(code, msg, append(path, fields...)...)
	}
	return err
}

// constraintField names the input field behind a database constraint, as
// a path below the input.
func constraintField(ce *db.ConstraintError) ([]string, string) {
	switch ce.Constraint {
	case "users_email_key":
		return []string{"email"}, "this email address is already used by another account"
	case "memberships_tenant_id_user_id_key":
		return []string{"email"}, "this person is already a member of the tenant"
	case "brands_tenant_id_name_key":
		return []string{"name"}, "the tenant already has a brand with this name"
	case "brand_access_brand_id_user_id_key":
		return []string{"userId"}, "the user already has access to this brand"
	case "users_language_code_fkey":
		return []string{"profile", "language"}, "unknown language code"
	}
	return nil, fmt.Sprintf("the value breaks the rule %s", ce.Constraint)
}

// idempotent runs create once per idempotency key: a retry with the same
// key and the same input returns the subject the first request created. A
// key used before for another mutation, or with another input, is an
// IDEMPOTENCY_CONFLICT (as Stripe answers): the client reused a key for a
// request that is not a retry, and it must not get someone else's result.
// input is the mutation's input; see inputHash for what counts.
func (w *writer) idempotent(tenantID string, key *string, mutation string, input any, create func() (string, error)) (string, error) {
	if key == nil {
		return create()
	}
	if !slugLikeRe.MatchString(*key) {
		return "", w.reject(model.UserErrorCodeInvalid, "must be 1 to 200 letters, digits or . _ : -", "input", "idempotencyKey")
	}
	hash, err := inputHash(input)
	if err != nil {
		return "", err
	}
	claim, err := db.ClaimIdempotencyKey(w.ctx, w.s, tenantID, *key, mutation, hash)
	if err != nil {
		return "", err
	}
	if !claim.Claimed {
		switch {
		case claim.Mutation != mutation || claim.Subject == nil:
			return "", w.reject(model.UserErrorCodeIdempotencyConflict,
				fmt.Sprintf("this key was already used for %s", claim.Mutation), "input", "idempotencyKey")
		case claim.InputHash != nil && !bytes.Equal(claim.InputHash, hash):
			return "", w.reject(model.UserErrorCodeIdempotencyConflict,
				"this key was already used with a different input; a retry must send the same input, a new request a new key",
				"input", "idempotencyKey")
		}
		return *claim.Subject, nil
	}
	id, err := create()
	if err != nil || len(w.errs) > 0 {
		return id, err
	}
	return id, db.CompleteIdempotencyKey(w.ctx, w.s, tenantID, *key, id)
}

// inputHash is the SHA-256 of a mutation's input in canonical form: its
// JSON with object keys sorted, without clientMutationId (an echo, which
// changes nothing stored) and idempotencyKey (the key itself). Defaults
// the schema fills in count as if sent, so leaving out `role: USER` and
// sending it are the same input.
func inputHash(input any) ([]byte, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("idempotency: encoding the input: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("idempotency: decoding the input: %w", err)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "clientMutationId")
		delete(m, "idempotencyKey")
	}
	canon, err := json.Marshal(v) // sorts object keys
	if err != nil {
		return nil, fmt.Errorf("idempotency: encoding the canonical input: %w", err)
	}
	sum := sha256.Sum256(canon)
	return sum[:], nil
}

// decodeRef decodes an input ID of the given type, as a user error.
func (w *writer) decodeRef(t model.NodeType, gid string, path ...string) (string, bool) {
	id, err := model.DecodeIDOf(t, gid)
	if err != nil {
		w.errs.add(model.UserErrorCodeInvalid, err.Error(), path...)
		return "", false
	}
	return id, true
}

// load reads a row for a payload straight from the session (not through a
// loader, whose cache may predate the write).
func load[T any](w *writer, n *db.Node[T], id string) (*T, error) {
	rows, err := db.ByIDs(w.ctx, w.s, n, w.s.Scope(), []string{id})
	if err != nil {
		return nil, err
	}
	return rows[id], nil
}

// exists reports whether a row of n with id is visible, as a user error.
func exists[T any](w *writer, n *db.Node[T], id string, path ...string) (*T, error) {
	row, err := load(w, n, id)
	if err != nil {
		return nil, err
	}
	if row == nil {
		w.errs.add(model.UserErrorCodeNotFound, fmt.Sprintf("no %s with this ID", n.Name), path...)
	}
	return row, nil
}

// canWriteBrand reports whether the caller may change catalogue of a
// brand: catalogue:manage, or USER (not READ_ONLY) access to the brand.
func (w *writer) canWriteBrand(brandID *string) (bool, error) {
	if w.p.Can(auth.PermManageCatalog) {
		return true, nil
	}
	if brandID == nil || w.p.UserID == "" {
		return false, nil
	}
	role, err := db.BrandAccessRole(w.ctx, w.s, *brandID, w.p.UserID)
	if err != nil {
		return false, err
	}
	return role == model.BrandAccessRoleUser, nil
}

// requireBrand refuses a catalogue write the caller may not make.
func (w *writer) requireBrand(brandID *string) error {
	ok, err := w.canWriteBrand(brandID)
	if err != nil {
		return err
	}
	if !ok {
		return &model.ForbiddenError{Msg: "this needs the catalogue:manage permission (ADMIN or OWNER) or USER access to the brand"}
	}
	return nil
}

// Package migrations holds the database schema as plain SQL files, applied in
// name order at start-up by db.Migrate. Files are never edited once released:
// a change is a new file.
package migrations

import "embed"

// FS holds every *.sql migration.
//
//go:embed *.sql
var FS embed.FS

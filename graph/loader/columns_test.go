package loader

import (
	"testing"

	"catalogue/db"
)

// The columns of a read are part of its cache's identity: rows cached for
// some columns never answer a load that asks for others, and loads asking
// for the same columns share one loader, so they still batch.
func TestColumnsArePartOfEveryCacheKey(t *testing.T) {
	l := New(&db.Store{}, db.AllTenants(), Options{})
	narrow, wide := nodeLoader(l, db.UserNode, 1), nodeLoader(l, db.UserNode, 3)
	if narrow == wide {
		t.Error("users read with different columns share a cache")
	}
	if nodeLoader(l, db.UserNode, 1) != narrow {
		t.Error("users read with the same columns do not share a loader")
	}
	if nodeLoader(l, db.UserNode, db.AllColumns) == narrow {
		t.Error("whole users share a cache with narrow ones")
	}
	k := PageKey{Parent: "p", Query: db.TracksByRelease.MustCompile(), Cols: 1}
	other := k
	other.Cols = 3
	if k == other {
		t.Error("pages read with different columns have one key")
	}
}

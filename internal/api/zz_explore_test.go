package api_test

import (
	"fmt"
	"testing"
)

func TestZZExplore(t *testing.T) {
	qs := []string{
		`SELECT 'membership with grants in other tenant ' || count(*) FROM memberships m WHERE EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = m.user_id AND ba.tenant_id <> m.tenant_id)`,
		`SELECT 'membership with groups and access ' || count(*) FROM memberships m WHERE EXISTS (SELECT 1 FROM membership_groups mg WHERE mg.membership_id=m.id) AND EXISTS (SELECT 1 FROM brand_access ba WHERE ba.user_id = m.user_id AND ba.tenant_id = m.tenant_id)`,
		`SELECT 'max groups per membership ' || max(c) FROM (SELECT count(*) c FROM membership_groups GROUP BY membership_id) x`,
		`SELECT 'releases no label no brand ' || count(*) FROM releases WHERE label_id IS NULL AND brand_id IS NULL`,
		`SELECT 'artists no brand no user ' || count(*) FROM artists WHERE brand_id IS NULL AND user_id IS NULL`,
		`SELECT 'artists w brand and user ' || count(*) FROM artists WHERE brand_id IS NOT NULL AND user_id IS NOT NULL`,
		`SELECT 'updated_by<>created_by ' || count(*) FROM users WHERE updated_by <> created_by`,
		`SELECT 'max releases per artist ' || max(c) FROM (SELECT count(*) c FROM release_artists GROUP BY artist_id) x`,
	}
	for _, q := range qs {
		var out []string
		if err := env.DB.Select(&out, q); err != nil {
			t.Fatal(q, err)
		}
		for _, o := range out {
			fmt.Println(o)
		}
	}
}

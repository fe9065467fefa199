package graph

import (
	"strings"
	"testing"

	"catalogue/graph/generated"
)

// The rule tables say who may set each field; the schema descriptions of
// the input fields must say the same, so that clients read the rules the
// server applies.
func TestSchemaDescribesWhoMaySetEachField(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	says := map[who]string{writers: "User or manager", managers: "Manager only"}
	profile := schema.Types["UserProfileInput"]
	ruled := map[string]bool{}
	for _, r := range accountRules {
		if r.input == "email" {
			if d := schema.Types["UpdateUserInput"].Fields.ForName("email").Description; !strings.Contains(d, "User or manager") {
				t.Errorf("UpdateUserInput.email: description %q does not say who may set it", d)
			}
			continue
		}
		ruled[r.input] = true
		f := profile.Fields.ForName(r.input)
		if f == nil {
			t.Errorf("accountRules has %s, UserProfileInput does not", r.input)
			continue
		}
		if !strings.Contains(f.Description, says[r.who]) {
			t.Errorf("UserProfileInput.%s: description %q should say %q", r.input, f.Description, says[r.who])
		}
	}
	for _, f := range profile.Fields {
		if !ruled[f.Name] {
			t.Errorf("UserProfileInput.%s has no rule in accountRules", f.Name)
		}
	}
	artist := schema.Types["ArtistFieldsInput"]
	for _, r := range artistRules {
		f := artist.Fields.ForName(r.input)
		if f == nil {
			t.Errorf("artistRules has %s, ArtistFieldsInput does not", r.input)
			continue
		}
		if r.who == brandWriters && !strings.Contains(f.Description, "old brand and to the new one") {
			t.Errorf("ArtistFieldsInput.%s: description %q should say that both brands need write access", r.input, f.Description)
		}
	}
}

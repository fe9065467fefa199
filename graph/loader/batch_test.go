package loader

import (
	"errors"
	"fmt"
	"testing"
)

// A batch function must answer exactly len(keys) results in key order, and
// a failed read must fail only the keys of its group.
func TestByGroupAnswersInKeyOrderAndIsolatesFailures(t *testing.T) {
	type key struct{ group, parent string }
	keys := []key{{"a", "3"}, {"b", "1"}, {"a", "1"}, {"c", "9"}, {"b", "2"}, {"a", "2"}}
	boom := errors.New("boom")
	reads := map[string][]string{}
	out := byGroup(keys, func(k key) (string, string) { return k.group, k.parent },
		func(g string, parents []string) (map[string]string, error) {
			reads[g] = parents
			if g == "b" {
				return nil, boom
			}
			got := map[string]string{}
			for _, p := range parents {
				if p != "2" { // parent "2" of group a has no row
					got[p] = g + p
				}
			}
			return got, nil
		})
	if len(reads) != 3 || fmt.Sprint(reads["a"]) != "[3 1 2]" {
		t.Fatalf("want one read per group with its parents in key order, got %v", reads)
	}
	want := []struct {
		data string
		err  error
	}{{"a3", nil}, {"", boom}, {"a1", nil}, {"c9", nil}, {"", boom}, {"", nil}}
	if len(out) != len(keys) {
		t.Fatalf("%d results for %d keys", len(out), len(keys))
	}
	for i, w := range want {
		if out[i].Data != w.data || !errors.Is(out[i].Error, w.err) {
			t.Errorf("key %v: got (%q, %v), want (%q, %v)", keys[i], out[i].Data, out[i].Error, w.data, w.err)
		}
	}
}

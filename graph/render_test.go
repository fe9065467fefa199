package graph

import (
	"bytes"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// The scalars Render writes are byte for byte those gqlgen writes.
func TestRenderedScalarsAreGqlgens(t *testing.T) {
	gqlgen := func(m graphql.Marshaler) string {
		var b bytes.Buffer
		m.MarshalGQL(&b)
		return b.String()
	}
	written := func(f func(*bytes.Buffer)) string {
		var b bytes.Buffer
		f(&b)
		return b.String()
	}
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tcr\rnl\n", "\x00\x01\x1f\x7f", "Zoë ♫ 音楽 🎵",
		"bad utf-8 \xff\xfe end", "</script><script>", "\u2028\u2029"} {
		if got, want := written(func(b *bytes.Buffer) { writeString(b, s) }), gqlgen(graphql.MarshalString(s)); got != want {
			t.Errorf("string %q: written %s, gqlgen %s", s, got, want)
		}
	}
	for _, n := range []int{0, 1, -1, 42, 1 << 31, -1 << 40} {
		if got, want := written(func(b *bytes.Buffer) { writeInt(b, n) }), gqlgen(graphql.MarshalInt(n)); got != want {
			t.Errorf("int %d: written %s, gqlgen %s", n, got, want)
		}
	}
	for _, f := range []bool{true, false} {
		if got, want := written(func(b *bytes.Buffer) { writeBool(b, f) }), gqlgen(graphql.MarshalBoolean(f)); got != want {
			t.Errorf("bool %v: written %s, gqlgen %s", f, got, want)
		}
	}
	paris := time.FixedZone("CET", 3600)
	for _, tm := range []time.Time{time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 23, 59, 59, 123456789, paris),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -9*3600-30*60))} {
		if got, want := written(func(b *bytes.Buffer) { writeTime(b, tm) }), gqlgen(graphql.MarshalTime(tm)); got != want {
			t.Errorf("time %v: written %s, gqlgen %s", tm, got, want)
		}
	}
	var b bytes.Buffer
	if writeTime(&b, time.Time{}) || b.Len() > 0 {
		t.Errorf("the zero time is written (%q); gqlgen writes null and reports it", b.String())
	}
}

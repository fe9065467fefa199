package testdb

import "flag"

// FuzzOnly reports whether the test binary was started only to fuzz, as
// `go test -run '^$' -fuzz '^FuzzX$'` (make fuzz-short) starts it: no test
// or benchmark runs, only a fuzz target. The fuzzing engine runs TestMain
// in the coordinator and again in every worker process, and the fuzz
// targets need no database, so TestMain skips Setup then instead of
// starting a cluster per worker. TestMain must call flag.Parse first.
func FuzzOnly() bool {
	value := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return value("test.fuzz") != "" && value("test.run") == "^$" && value("test.bench") == ""
}

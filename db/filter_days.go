package db

import (
	"strings"
	"time"

	"catalogue/internal/filter"
)

// Days in date-time filters. The query syntax lets a bare date stand for a
// date-time (created:2023-01-01, seed 000's fromDate/toDate). It names the
// whole UTC day, so every comparison reads it as the interval from the
// day's start to the next day's start:
//
//	created:2023-01-01              start <= t < next   (that day)
//	created:>=2023-01-01            t >= start          (from that day on)
//	created:>2023-01-01             t >= next           (after that day)
//	created:<2023-01-01             t < start           (before that day)
//	created:<=2023-01-01            t < next            (up to the end of that day)
//	created:2023-01-01..2023-01-31  January 1st to 31st, both whole
//	created:2023-01-01,2023-03-01   either day
//	created:ne:2023-01-01           not that day (or empty)
//
// A value with a time of day (2023-01-01T10:00:00Z) keeps its instant.

const dayLayout = "2006-01-02"

// dayOf reads v as a bare date: the UTC midnight that starts the day.
func dayOf(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || len(s) != len(dayLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(dayLayout, s)
	return t, err == nil
}

// namesDay reports whether a comparison of a date-time field names a day.
func namesDay(cond *filter.Cond) bool {
	switch cond.Op {
	case filter.OpEq, filter.OpNe, filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte, filter.OpIn, filter.OpNotIn:
	default:
		return false
	}
	for _, v := range cond.Values {
		if _, ok := dayOf(v); ok {
			return true
		}
	}
	return false
}

// days renders a comparison of the date-time expr with values of which
// at least one is a day (see namesDay).
func (c *compiler) days(col Column, expr string, cond *filter.Cond) (string, error) {
	n := len(cond.Values)
	switch {
	case n == 0:
		return "", badValue(cond, "%s needs at least one value", cond.Op)
	case n > 1 && cond.Op != filter.OpIn && cond.Op != filter.OpNotIn:
		return "", badValue(cond, "%s takes one value", cond.Op)
	case n > filter.MaxValues:
		return "", badValue(cond, "%s takes at most %d values", cond.Op, filter.MaxValues)
	}
	at := func(t time.Time) string { return c.bind(t) + "::timestamptz" }
	switch cond.Op {
	case filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte:
		day, _ := dayOf(cond.Values[0])
		bound, op := day, ">="
		switch cond.Op {
		case filter.OpGt:
			bound = day.AddDate(0, 0, 1)
		case filter.OpLt:
			op = "<"
		case filter.OpLte:
			bound, op = day.AddDate(0, 0, 1), "<"
		}
		return expr + " " + op + " " + at(bound), nil
	}
	// eq, ne, in, notIn: within any of the days, or at any of the instants.
	parts := make([]string, n)
	for i, v := range cond.Values {
		if day, ok := dayOf(v); ok {
			parts[i] = "(" + expr + " >= " + at(day) + " AND " + expr + " < " + at(day.AddDate(0, 0, 1)) + ")"
			continue
		}
		t, err := c.value(col, cond, i)
		if err != nil {
			return "", err
		}
		parts[i] = expr + " = " + c.bind(t) + "::timestamptz"
	}
	within := "(" + strings.Join(parts, " OR ") + ")"
	if cond.Op == filter.OpNe || cond.Op == filter.OpNotIn {
		return "(" + expr + " IS NULL OR NOT " + within + ")", nil
	}
	return within, nil
}

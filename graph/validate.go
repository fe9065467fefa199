package graph

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"catalogue/db/model"
)

// A check reads one input value and returns what to store, or a message
// and code for the user. Values arrive as plain Go values (filter.Normalize).
type check func(v any) (any, string, model.UserErrorCode)

func asString(v any) (string, bool) {
	s, ok := v.(string)
	return strings.TrimSpace(s), ok
}

// text accepts 1..max characters.
func text(max int) check {
	return func(v any) (any, string, model.UserErrorCode) {
		s, ok := asString(v)
		if !ok {
			return nil, "must be a string", model.UserErrorCodeInvalid
		}
		if s == "" {
			return nil, "must not be empty", model.UserErrorCodeRequired
		}
		if n := utf8.RuneCountInString(s); n > max {
			return nil, fmt.Sprintf("must be at most %d characters, got %d", max, n), model.UserErrorCodeInvalid
		}
		return s, "", ""
	}
}

func matching(re *regexp.Regexp, what string) check {
	return func(v any) (any, string, model.UserErrorCode) {
		s, ok := asString(v)
		if !ok || !re.MatchString(s) {
			return nil, fmt.Sprintf("must be %s, got %q", what, fmt.Sprint(v)), model.UserErrorCodeInvalid
		}
		return s, "", ""
	}
}

var (
	phoneRe    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	langRe     = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)
	countryRe  = regexp.MustCompile(`^[A-Z]{2}$`)
	isrcRe     = regexp.MustCompile(`^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$`)
	upcRe      = regexp.MustCompile(`^[0-9]{12,13}$`)
	slugLikeRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,200}$`)
)

var (
	checkPhone    = matching(phoneRe, "an E.164 phone number such as +33612345678")
	checkLanguage = matching(langRe, "a language code such as fr or pt-BR")
	checkCountry  = matching(countryRe, "an ISO 3166-1 alpha-2 country code such as FR")
)

// checkEmail accepts a bare address: local@domain.
func checkEmail(v any) (any, string, model.UserErrorCode) {
	s, ok := asString(v)
	if !ok || s == "" {
		return nil, "must not be empty", model.UserErrorCodeRequired
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndex(s, "@"):], ".") {
		return nil, fmt.Sprintf("%q is not an email address", s), model.UserErrorCodeInvalid
	}
	return s, "", ""
}

// checkURL accepts absolute http and https URLs.
func checkURL(v any) (any, string, model.UserErrorCode) {
	s, ok := asString(v)
	if !ok {
		return nil, "must be a string", model.UserErrorCodeInvalid
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
		return nil, fmt.Sprintf("%q is not an http(s) URL", s), model.UserErrorCodeInvalid
	}
	return s, "", ""
}

func checkBool(v any) (any, string, model.UserErrorCode) {
	if b, ok := v.(bool); ok {
		return b, "", ""
	}
	return nil, "must be true or false", model.UserErrorCodeInvalid
}

func checkTime(v any) (any, string, model.UserErrorCode) {
	if t, ok := v.(time.Time); ok {
		return t, "", ""
	}
	return nil, "must be a date-time", model.UserErrorCodeInvalid
}

// checkISRC accepts an International Standard Recording Code.
func checkISRC(v any) (any, string, model.UserErrorCode) {
	s, _ := asString(v)
	s = strings.ToUpper(strings.ReplaceAll(s, "-", ""))
	if !isrcRe.MatchString(s) {
		return nil, fmt.Sprintf("%q is not an ISRC: want 2 letters, 3 letters or digits, 7 digits (e.g. USAC12500001)", fmt.Sprint(v)), model.UserErrorCodeInvalid
	}
	return s, "", ""
}

// checkUPC accepts a UPC-A or EAN-13 with a correct GS1 check digit.
func checkUPC(v any) (any, string, model.UserErrorCode) {
	s, _ := asString(v)
	if !upcRe.MatchString(s) {
		return nil, fmt.Sprintf("%q is not a UPC: want 12 or 13 digits", fmt.Sprint(v)), model.UserErrorCodeInvalid
	}
	if !gs1CheckDigitOK(s) {
		return nil, fmt.Sprintf("%q has a wrong check digit", s), model.UserErrorCodeInvalid
	}
	return s, "", ""
}

// gs1CheckDigitOK: weights 3 and 1 alternate from the right, excluding the
// check digit; the check digit makes the sum a multiple of 10.
func gs1CheckDigitOK(s string) bool {
	sum := 0
	for i := len(s) - 2; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[len(s)-1]-'0')
}

// rule maps an input field to a column through a check, and says who may
// set it. A rule without a check is a reference that its mutation reads
// itself (e.g. an artist's brandId); patch leaves it alone.
type rule struct {
	input, column string
	check         check
	required      bool // may not be set to null
	who           who
}

// who may set a field, on top of the right to write its object at all.
// The rule tables (accountRules, artistRules) give it for every field, and
// the schema descriptions of the input fields repeat it.
type who int

const (
	// writers: whoever may write the object. For a user account: the user
	// themself or a manager of the account (see managesAccount).
	writers who = iota
	// managers: a manager of the user account only. The user themself is
	// one only when they manage their whole account (a platform
	// administrator, or an ADMIN or OWNER over every tenant of theirs), so
	// a USER cannot lift an expiry an administrator set on them.
	managers
	// brandWriters: whoever may write the catalogue of the brand the
	// object is in and of the brand it moves to (see canWriteBrand); no
	// brand needs catalogue:manage.
	brandWriters
)

// setBy lists, in table order, the fields of m that rules reserve to w.
func setBy(m map[string]any, rules []rule, w who) []string {
	var out []string
	for _, r := range rules {
		if _, present := m[r.input]; present && r.who == w {
			out = append(out, r.input)
		}
	}
	return out
}

// patch reads the fields of m that rules name: an absent field is left
// alone, null clears a column (unless required), and a value is checked.
func patch(m map[string]any, rules []rule, path []string, errs *userErrs) map[string]any {
	out := map[string]any{}
	for _, r := range rules {
		raw, present := m[r.input]
		if !present || r.check == nil {
			continue
		}
		v, ok := normalized(raw)
		p := append(append([]string(nil), path...), r.input)
		if !ok {
			if r.required {
				errs.add(model.UserErrorCodeRequired, "must not be null", p...)
				continue
			}
			out[r.column] = nil
			continue
		}
		val, msg, code := r.check(v)
		if msg != "" {
			errs.add(code, msg, p...)
			continue
		}
		out[r.column] = val
	}
	return out
}

package model

// InputError is a problem with a client-supplied argument; the API shows it
// as BAD_USER_INPUT naming the argument.
type InputError struct {
	Arg string
	Msg string
}

func (e *InputError) Error() string { return e.Arg + ": " + e.Msg }

// ForbiddenError refuses an operation the caller's role does not allow;
// the API shows it as FORBIDDEN.
type ForbiddenError struct {
	Msg string
}

func (e *ForbiddenError) Error() string { return e.Msg }

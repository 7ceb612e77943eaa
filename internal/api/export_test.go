package api

// SetParsing makes every definition that holds a parse slot call f first.
func SetParsing(a *API, f func()) { a.parsing = f }

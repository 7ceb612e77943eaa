package engine

import (
	"strings"
	"unicode/utf8"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// Text and the stores. PostgreSQL's text cannot hold a NUL character nor
// bytes that are not UTF-8, SQLite's can; the rule that makes both stores
// behave alike is the engine's, so that every surface gets it once:
//
//   - text a person or client gives (a description, a comment, a reason,
//     state_info sent through the API, names, tags, a definition) holding
//     either is refused: fault.CheckText, an EINVALID naming the field;
//   - text the engine makes from outside data (state_info from an
//     action's error output, an expression's error quoting a value) is
//     cleaned: both become U+FFFD (CleanText), at the one place where
//     state_info is written (writeExecution, writeTask, writeAction).
//
// JSON values need neither: they hold NUL only as the escape \u0000,
// which both stores keep byte for byte.

// CleanText returns s with each NUL character and each run of bytes that
// are not UTF-8 replaced by U+FFFD, and s itself, with no allocation,
// when it has neither (the common case).
func CleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cleanInfo cleans a state_info in place (nil: none).
func cleanInfo(p **string) {
	if *p == nil {
		return
	}
	if c := CleanText(**p); c != **p {
		*p = &c
	}
}

// checkTexts refuses the first of the pairs (field, text) that holds
// what Sirocco does not store.
func checkTexts(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := fault.CheckText(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// checkTags refuses a tag list holding what Sirocco does not store.
func checkTags(field string, tags []string) error {
	for _, t := range tags {
		if err := fault.CheckText(field, t); err != nil {
			return err
		}
	}
	return nil
}

// checkDefined refuses what a definition defines that Sirocco does not
// store: the definition's text passed fault.CheckText, but YAML's escapes
// ("\0" in a double-quoted name) can still make a NUL.
func checkDefined(name, input, description string, tags []string) error {
	if err := checkTexts("name", name, "input", input, "description", description); err != nil {
		return err
	}
	return checkTags("tags", tags)
}

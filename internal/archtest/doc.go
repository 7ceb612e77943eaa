// Package archtest checks the import rules that README's Layout states:
// dependencies point inward, the domain packages know no transport, and
// the stores know no HTTP. It has no code of its own, only the test.
package archtest

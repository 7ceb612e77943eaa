package dsl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse asserts that Parse and ParseActions never panic and that every
// failure is a positioned *Error.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yaml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if src, err := os.ReadFile(file); err == nil {
				f.Add(src)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// The same document read as ad-hoc actions: no panic, positioned errors.
		if _, err := ParseActions(src); err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Line < 1 || de.Column < 1 {
				t.Fatalf("ParseActions error %v is not a positioned *dsl.Error", err)
			}
		}
		doc, err := Parse(src)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is a %T, want *dsl.Error", err, err)
			}
			if de.Line < 1 || de.Column < 1 {
				t.Fatalf("error %q has no position", err)
			}
			return
		}
		for _, wf := range doc.Workflows {
			wf.StartTasks()
			wf.InputString()
		}
	})
}

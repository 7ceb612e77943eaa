package dsl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse asserts that Parse, ParseActions and ParseWorkbook never panic,
// that every failure is a positioned *Error, and that a workbook's members
// are documents of their own.
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
		// The same document read as ad-hoc actions and as a workbook: no
		// panic, positioned errors; a workbook's members parse on their own.
		if _, err := ParseActions(src); err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Line < 1 || de.Column < 1 {
				t.Fatalf("ParseActions error %v is not a positioned *dsl.Error", err)
			}
		}
		if wb, err := ParseWorkbook(src); err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Line < 1 || de.Column < 1 {
				t.Fatalf("ParseWorkbook error %v is not a positioned *dsl.Error", err)
			}
		} else {
			for _, wf := range wb.Workflows {
				if _, err := Parse([]byte(wf.Source)); err != nil {
					t.Fatalf("workbook workflow %s: its source does not parse: %v\n%q", wf.Name, err, wf.Source)
				}
			}
			for _, a := range wb.Actions {
				if _, err := ParseActions([]byte(a.Source)); err != nil {
					t.Fatalf("workbook action %s: its source does not parse: %v\n%q", a.Name, err, a.Source)
				}
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

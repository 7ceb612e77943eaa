package schemaform

import (
	"strconv"
	"testing"
)

// The cost of the VM request schema at each step: Compile runs when a
// workflow is created (and when an approval task starts), Validate and
// FromForm on every vote.
func BenchmarkCompile(b *testing.B) {
	doc := decode(b, readFile(b, "vm_request.json"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	s := mustCompile(b, readFile(b, "vm_request.json"))
	answer, errs := s.FromForm(vmForm())
	if errs != nil {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		if errs := s.Validate(answer); errs != nil {
			b.Fatal(errs)
		}
	}
}

func BenchmarkFromForm(b *testing.B) {
	s := mustCompile(b, readFile(b, "vm_request.json"))
	form := vmForm()
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := s.FromForm(form); errs != nil {
			b.Fatal(errs)
		}
	}
}

// BenchmarkFanOutBound is the deepest fan-out of the shape the bounds
// test refuses that Compile still accepts (10 levels each referring twice
// to the next: 2^10 paths to the last), validated against a value that
// fails every branch.
func BenchmarkFanOutBound(b *testing.B) {
	const levels = 10
	defs := map[string]any{"d10": map[string]any{"type": "integer"}}
	for i := range levels {
		next := map[string]any{"$ref": "#/$defs/d" + strconv.Itoa(i+1)}
		defs["d"+strconv.Itoa(i)] = map[string]any{"anyOf": []any{next, next}}
	}
	s, err := Compile(map[string]any{"$defs": defs, "properties": map[string]any{"a": map[string]any{"$ref": "#/$defs/d0"}}})
	if err != nil {
		b.Fatal(err)
	}
	answer := map[string]any{"a": "not a number"}
	b.ReportAllocs()
	for b.Loop() {
		if errs := s.Validate(answer); errs == nil {
			b.Fatal("accepted")
		}
	}
}

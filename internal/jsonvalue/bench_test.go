package jsonvalue

import "testing"

// benchDoc is a callback's output the size the engine sees all day.
var benchDoc = []byte(`{"result": {"status": 200, "content": {"id": "0193d0e2-7c4b-7a3e-9f00-000000000001", "name": "order", "items": [{"sku": "a1", "qty": 2, "price": 9.5}, {"sku": "b2", "qty": 1, "price": 20.0}], "meta": {"source": "shop", "region": "eu-west", "tags": ["x", "y"]}}, "headers": {"Content-Type": "application/json"}}}`)

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(benchDoc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	v, err := Decode(benchDoc)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonical(b *testing.B) {
	v, err := Decode(benchDoc)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Canonical(v); err != nil {
			b.Fatal(err)
		}
	}
}

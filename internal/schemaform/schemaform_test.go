package schemaform

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sirocco-project/sirocco/internal/fault"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// decode reads JSON as the engine's decoder yields it: int64 for integers
// that fit, float64 for other numbers.
func decode(t testing.TB, text string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", text, err)
	}
	n, err := normalize(v, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustCompile(t testing.TB, text string) *Schema {
	t.Helper()
	s, err := Compile(decode(t, text))
	if err != nil {
		t.Fatalf("Compile(%s): %v", text, err)
	}
	return s
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was derived (go test -update rewrites it):\ngot:\n%s", path, got)
	}
}

// vmForm is a filled-in VM request as a browser posts it.
func vmForm() url.Values {
	return url.Values{
		"csrf_token":  {"tok"},
		"cores":       {" 8 "},
		"zone":        {"us-east"},
		"size":        {"100"},
		"gpu":         {"on"},
		"memory_gb":   {"16.5"},
		"cost_centre": {"CC-0042"},
		"owner_email": {"ops@example.com"},
		"needed_by":   {"2025-03-01"},
		"note":        {"for the\r\nbatch run"},
		"tags":        {"gpu", "prod"},
		"extra_disks": {`[{"size_gb": 100}]`},
	}
}

// TestVMRequest walks the realistic schema through every step: the form
// derived from it, a good post read back, a bad post reported field by
// field, and the same rules applied to a JSON body.
func TestVMRequest(t *testing.T) {
	s := mustCompile(t, readFile(t, "vm_request.json"))

	got, err := json.MarshalIndent(s.Fields(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vm_fields.golden.json", append(got, '\n'))

	// The same schema decoded with float64 numbers (encoding/json's
	// default) gives the same form.
	var plain any
	if err := json.Unmarshal([]byte(readFile(t, "vm_request.json")), &plain); err != nil {
		t.Fatal(err)
	}
	s2, err := Compile(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Fields(), s2.Fields()) {
		t.Errorf("fields differ between int64 and float64 decodings:\n%v\n%v", s.Fields(), s2.Fields())
	}

	wantInitial := url.Values{"cores": {"2"}, "zone": {"eu-west"}, "tags": {"dev"}}
	if got := s.Initial(); !reflect.DeepEqual(got, wantInitial) {
		t.Errorf("Initial() = %v, want %v", got, wantInitial)
	}

	answer, errs := s.FromForm(vmForm())
	if errs != nil {
		t.Fatalf("FromForm(good) errors: %v", errs)
	}
	want := map[string]any{
		"cores":       int64(8),
		"zone":        "us-east",
		"size":        int64(100),
		"gpu":         true,
		"memory_gb":   16.5,
		"cost_centre": "CC-0042",
		"owner_email": "ops@example.com",
		"needed_by":   "2025-03-01",
		"note":        "for the\nbatch run",
		"tags":        []any{"prod", "gpu"},
		"extra_disks": []any{map[string]any{"size_gb": int64(100)}},
	}
	if !reflect.DeepEqual(answer, want) {
		t.Errorf("FromForm(good) =\n%#v\nwant\n%#v", answer, want)
	}
	if errs := s.Validate(answer); errs != nil {
		t.Errorf("Validate(FromForm(good)) = %v", errs)
	}
	// An API body with the same answer passes too.
	body, _ := json.Marshal(answer)
	if errs := s.Validate(decode(t, string(body))); errs != nil {
		t.Errorf("Validate(body) = %v", errs)
	}

	bad := vmForm()
	bad.Set("cores", "lots")
	bad.Del("zone")
	bad.Set("cost_centre", "cc-1")
	bad.Set("memory_gb", "0")
	bad["tags"] = []string{"prod", "nope"}
	bad.Set("extra_disks", `[{"size_gb": 0}]`)
	bad.Set("owner_email", "ops")
	answer, errs = s.FromForm(bad)
	if answer != nil {
		t.Errorf("FromForm(bad) answer = %v, want nil", answer)
	}
	wantErrs := []FieldError{
		{"cores", "/cores", "must be a whole number"},
		{"cost_centre", "/cost_centre", "must match the pattern ^CC-[0-9]{4}$"},
		{"extra_disks", "/extra_disks/0/size_gb", "must be at least 1"},
		{"memory_gb", "/memory_gb", "must be greater than 0"},
		{"owner_email", "/owner_email", "must be an email address"},
		{"tags", "/tags", "must be one of: prod, staging, dev, batch, gpu"},
		{"zone", "/zone", "is required"},
	}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Errorf("FromForm(bad) errors =\n%v\nwant\n%v", errs, wantErrs)
	}
	// What was typed is shown again, the CSRF token is not a field.
	echo := s.Echo(bad)
	if echo.Get("cores") != "lots" || echo.Get("cost_centre") != "cc-1" ||
		!reflect.DeepEqual(echo["tags"], []string{"prod", "nope"}) || echo.Has("csrf_token") || echo.Has("zone") {
		t.Errorf("Echo(bad) = %v", echo)
	}

	// The API's 400 names each field.
	body = []byte(`{"cores": 65, "zone": "mars", "cost_centre": "CC-1234", "colour": "red"}`)
	err = Err(s.Validate(decode(t, string(body))))
	if fault.Code(err) != fault.EINVALID {
		t.Fatalf("Err code = %q, want %q", fault.Code(err), fault.EINVALID)
	}
	wantMsg := "invalid answer: colour: is not an allowed field; cores: must be at most 64; zone: must be one of: eu-west, us-east, ap-south"
	if fault.Message(err) != wantMsg {
		t.Errorf("message = %q\nwant      %q", fault.Message(err), wantMsg)
	}
	var ae *AnswerError
	if !errors.As(err, &ae) || len(ae.Errors) != 3 {
		t.Errorf("errors.As(AnswerError) = %v", ae)
	}
	if Err(nil) != nil {
		t.Error("Err(nil) != nil")
	}
}

func TestNoSchema(t *testing.T) {
	none, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	empty := mustCompile(t, `{}`)
	for name, s := range map[string]*Schema{"nil": none, "{}": empty} {
		if f := s.Fields(); len(f) != 0 {
			t.Errorf("%s: Fields() = %v, want none", name, f)
		}
		for _, answer := range []any{nil, map[string]any{}} {
			if errs := s.Validate(answer); errs != nil {
				t.Errorf("%s: Validate(%v) = %v", name, answer, errs)
			}
		}
		answer, errs := s.FromForm(url.Values{"csrf_token": {"x"}, "comment": {"fine"}})
		if errs != nil || !reflect.DeepEqual(answer, map[string]any{}) {
			t.Errorf("%s: FromForm = %v, %v; want {}", name, answer, errs)
		}
		if errs := s.Validate("yes"); !reflect.DeepEqual(errs, []FieldError{{Message: "must be an object"}}) {
			t.Errorf("%s: Validate(string) = %v", name, errs)
		}
	}
	// No schema given: no fields, and nothing else either.
	want := []FieldError{{"x", "/x", "is not an allowed field"}}
	if errs := none.Validate(map[string]any{"x": int64(1)}); !reflect.DeepEqual(errs, want) {
		t.Errorf("nil: Validate({x:1}) = %v, want %v", errs, want)
	}
	// {} is JSON Schema's "anything".
	if errs := empty.Validate(map[string]any{"x": int64(1)}); errs != nil {
		t.Errorf("{}: Validate({x:1}) = %v", errs)
	}
}

// TestConcurrentUse runs the read paths of one schema at once; with -race
// it checks the schema is safe to share between requests.
func TestConcurrentUse(t *testing.T) {
	s := mustCompile(t, readFile(t, "vm_request.json"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				answer, errs := s.FromForm(vmForm())
				if errs != nil {
					t.Error(errs)
					return
				}
				if errs := s.Validate(answer); errs != nil {
					t.Error(errs)
					return
				}
				s.Fields()[0].Choices = nil
				s.Echo(vmForm())
				s.Initial()
			}
		}()
	}
	wg.Wait()
}

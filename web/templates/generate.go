package templates

// The *_templ.go files are generated from the *.templ files beside them and
// committed; CI checks they are current. Generated from the module root, so
// that error positions name web/templates/<file>.templ.
//go:generate go -C ../.. tool templ generate

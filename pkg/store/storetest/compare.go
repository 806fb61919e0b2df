package storetest

import (
	"fmt"
	"reflect"
	"time"
)

// diff compares got and want field by field, following pointers, and returns one line per
// difference. Pointers are compared by what they hold, so a nil pointer (absent) differs from a
// pointer to a zero value (present); a nil slice differs from an empty one for the same reason.
// Times compare as instants and must also be in the same location.
func diff(got, want any) []string {
	g, w := map[string]string{}, map[string]string{}
	var order []string
	flatten("", reflect.ValueOf(want), w, &order)
	flatten("", reflect.ValueOf(got), g, &order)
	seen := map[string]bool{}
	var out []string
	for _, k := range order {
		if seen[k] {
			continue
		}
		seen[k] = true
		gv, gok := g[k]
		wv, wok := w[k]
		switch {
		case !gok:
			gv = "(missing)"
		case !wok:
			wv = "(missing)"
		}
		if gv != wv {
			out = append(out, fmt.Sprintf("%s: got %s, want %s", k, gv, wv))
		}
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

// flatten writes every leaf of v into out, keyed by its path (Room.RoomInfo.RoomName, ...).
func flatten(path string, v reflect.Value, out map[string]string, order *[]string) {
	put := func(s string) {
		if _, ok := out[path]; !ok {
			*order = append(*order, path)
		}
		out[path] = s
	}
	if !v.IsValid() {
		put("<invalid>")
		return
	}
	switch {
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		put(t.Format(time.RFC3339Nano) + " (" + t.Location().String() + ")")
		return
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			put("<nil>")
			return
		}
		flatten(path, v.Elem(), out, order)
		return
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := f.Name
			if path != "" {
				p = path + "." + f.Name
			}
			flatten(p, v.Field(i), out, order)
		}
		return
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		if v.IsNil() {
			put("<nil>")
			return
		}
		put(short(fmt.Sprintf("%q", v.Bytes())))
		return
	case v.Kind() == reflect.Slice:
		if v.IsNil() {
			put("<nil>")
			return
		}
		put(fmt.Sprintf("len %d", v.Len()))
		for i := 0; i < v.Len(); i++ {
			flatten(fmt.Sprintf("%s[%d]", path, i), v.Index(i), out, order)
		}
		return
	case v.Kind() == reflect.String:
		put(short(fmt.Sprintf("%q", v.String())))
		return
	}
	put(fmt.Sprintf("%v", v.Interface()))
}

// short keeps failure messages readable when a value is kilobytes long.
func short(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:max], len(s))
}

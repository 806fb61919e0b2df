package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// stdQuote is encoding/json's quoting without HTML escaping, the reference for appendString.
func stdQuote(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

var quoteSeeds = []string{
	"",
	"plain",
	okPacket,
	`{"ActionStatus":"FAIL","ErrorInfo":"CallbackCommand in the query string and the body differ","ErrorCode":40005}`,
	"\"\\/\b\f\n\r\t",
	"\x00\x01\x1f\x7f",
	"<script>&amp;</script>",
	"中文 ünïcödé 😀",
	"\u2028\u2029",
	"bad \xff utf8 \xc3 \xe2\x82 end",
	"\xed\xa0\x80", // a UTF-16 surrogate encoded in UTF-8 is invalid
	"\xf4\x90\x80\x80",
}

// TestAppendString checks the hand-written encoder against encoding/json, byte for byte.
func TestAppendString(t *testing.T) {
	for _, s := range quoteSeeds {
		want := stdQuote(t, s)
		if got := string(appendString(nil, s)); got != want {
			t.Errorf("string %q: got %s, want %s", s, got, want)
		}
		if got := string(appendString(nil, []byte(s))); got != want {
			t.Errorf("bytes %q: got %s, want %s", s, got, want)
		}
	}
}

// FuzzAppendString compares the encoder with encoding/json on arbitrary input; the seeds run
// with every go test.
func FuzzAppendString(f *testing.F) {
	for _, s := range quoteSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, []byte(s))
		if want := stdQuote(t, s); string(got) != want {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("%q: output is not UTF-8", s)
		}
	})
}

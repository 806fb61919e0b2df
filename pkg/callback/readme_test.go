package callback

import (
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestEveryErrorCodeIsDocumented keeps README.md's answer table and errors.go in step: every
// ErrorCode the code can send is a row of the table, with the status its kind maps to, and the
// table lists no code the code does not send.
func TestEveryErrorCodeIsDocumented(t *testing.T) {
	src, err := os.ReadFile("errors.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// &Error{KindX, CODE, … in errors.go
	inCode := map[int]string{}
	for _, m := range regexp.MustCompile(`&Error\{(Kind\w+), (\d{5}),`).FindAllStringSubmatch(string(src), -1) {
		code, _ := strconv.Atoi(m[2])
		inCode[code] = m[1]
	}
	kinds := map[string]Kind{"KindInvalid": KindInvalid, "KindUnauthorized": KindUnauthorized, "KindForbidden": KindForbidden,
		"KindMethodNotAllowed": KindMethodNotAllowed, "KindTooLarge": KindTooLarge, "KindInternal": KindInternal, "KindUnavailable": KindUnavailable}
	// | … | STATUS | `FAIL` | CODE | rows of README.md
	inReadme := map[int]int{}
	for _, m := range regexp.MustCompile("(?m)\\| (\\d{3}) \\| `FAIL` \\| (\\d{5}) \\|$").FindAllStringSubmatch(string(readme), -1) {
		status, _ := strconv.Atoi(m[1])
		code, _ := strconv.Atoi(m[2])
		inReadme[code] = status
	}
	if len(inCode) < 15 {
		t.Fatalf("found only %d codes in errors.go; has its form changed?", len(inCode))
	}
	for code, kind := range inCode {
		k, ok := kinds[kind]
		if !ok {
			t.Fatalf("unknown kind %s", kind)
		}
		status, documented := inReadme[code]
		switch {
		case !documented:
			t.Errorf("ErrorCode %d is not in README.md's answer table", code)
		case status != statusOf(k):
			t.Errorf("README.md gives ErrorCode %d status %d, the code answers %d (%s)", code, status, statusOf(k), http.StatusText(statusOf(k)))
		}
	}
	for code := range inReadme {
		if _, ok := inCode[code]; !ok {
			t.Errorf("README.md lists ErrorCode %d, which the code never sends", code)
		}
	}
}

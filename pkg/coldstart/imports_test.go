package coldstart

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces the layout's rules with the go command itself: nothing under pkg/
// reaches a platform library, and the core (pkg/callback) and pkg/config use the standard
// library only.
func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	deps := func(pattern string) []string {
		format := `{{if not .Standard}}{{.ImportPath}}{{end}}`
		out, err := exec.Command("go", "list", "-deps", "-f", format, pattern).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pattern, err, out)
		}
		return strings.Fields(string(out))
	}
	for _, d := range deps("github.com/roomhook/roomhook/pkg/...") {
		if strings.Contains(d, "aws-lambda-go") || strings.Contains(d, "scf-go-lib") {
			t.Errorf("pkg/ reaches the platform library %s", d)
		}
	}
	for _, p := range []string{"github.com/roomhook/roomhook/pkg/callback", "github.com/roomhook/roomhook/pkg/config"} {
		for _, d := range deps(p) {
			if d != p {
				t.Errorf("%s must use the standard library only, yet imports %s", p, d)
			}
		}
	}
}

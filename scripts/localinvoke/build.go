package localinvoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// RIEPackage is the import path of the AWS Lambda Runtime Interface
// Emulator command; go.mod pins its version with a tool directive.
const RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// buildFlags are the go build flags of every function binary, for local runs
// and for upload alike (this is the one place they are written down):
// no local paths in the binary, aws-lambda-go without its net/rpc mode
// (provided.al2023 uses the Runtime API only), stripped, and no build ID so
// the same source gives the same bytes. CGO_ENABLED=0 goes in the
// environment.
var buildFlags = []string{"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags", "-s -w -buildid="}

// BuildFlags returns a copy of the go build flags every function binary is built with (see
// buildFlags), for tools and tests that must build, or check a build, the same way: the
// Makefile that `sam build` runs is checked against it.
func BuildFlags() []string {
	return slices.Clone(buildFlags)
}

// SymbolFlags returns BuildFlags without -s and -w, which drop only the symbol table and DWARF:
// the same code, with the names of its functions kept, for tools that must find them in the
// binary (scripts/bench's instruction counts under callgrind).
func SymbolFlags() []string {
	flags := BuildFlags()
	for i := 1; i < len(flags); i++ {
		if flags[i-1] == "-ldflags" {
			flags[i] = strings.Join(slices.DeleteFunc(strings.Fields(flags[i]), func(f string) bool { return f == "-s" || f == "-w" }), " ")
		}
	}
	return flags
}

// BuildFunction builds the function main package pkg (a package path
// relative to the module root, like "./functions/lambda", or a full import
// path) into outPath for this machine:
//
//	CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags lambda.norpc -ldflags "-s -w -buildid=" -o outPath pkg
//
// run in the module root. A relative outPath is relative to the current
// directory. The error carries the go command's output.
func BuildFunction(ctx context.Context, pkg, outPath string) error {
	return BuildFunctionFor(ctx, pkg, outPath, runtime.GOOS, runtime.GOARCH)
}

// BuildFunctionFor is BuildFunction for another target, as scripts/build.sh
// needs for upload (goos "linux", goarch "amd64" or "arm64"). Empty goos or
// goarch leave the go command's default.
func BuildFunctionFor(ctx context.Context, pkg, outPath, goos, goarch string) error {
	out, err := filepath.Abs(outPath)
	if err != nil {
		return fmt.Errorf("localinvoke: build %s: %w", pkg, err)
	}
	env := []string{"CGO_ENABLED=0"}
	if goos != "" {
		env = append(env, "GOOS="+goos)
	}
	if goarch != "" {
		env = append(env, "GOARCH="+goarch)
	}
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", out, pkg)
	return Go(ctx, env, args...)
}

// BuildRIE builds the pinned AWS Lambda Runtime Interface Emulator into
// outDir (created if missing) and returns the binary's path,
// outDir/aws-lambda-rie. The version is the one go.mod requires.
func BuildRIE(ctx context.Context, outDir string) (string, error) {
	dir, err := filepath.Abs(outDir)
	if err != nil {
		return "", fmt.Errorf("localinvoke: build aws-lambda-rie: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("localinvoke: build aws-lambda-rie: %w", err)
	}
	out := filepath.Join(dir, "aws-lambda-rie")
	env := []string{"CGO_ENABLED=0", "GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH} // it runs here
	if err := Go(ctx, env, "build", "-trimpath", "-o", out, RIEPackage); err != nil {
		return "", err
	}
	return out, nil
}

// ModuleRoot returns the directory of the main module's go.mod, as the go
// command sees it from the current directory.
func ModuleRoot(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("localinvoke: go env GOMOD: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("localinvoke: not inside a Go module (go env GOMOD is empty); run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// Go runs the go command in the module root with extra environment (CGO_ENABLED=0, GOOS, …);
// the error carries the command line and its output.
func Go(ctx context.Context, env []string, args ...string) error {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("localinvoke: %s go %s (in %s): %w\n%s",
			strings.Join(env, " "), shellJoin(args), root, err, bytes.TrimSpace(out))
	}
	return nil
}

// shellJoin renders a command line for a message, quoting arguments with
// spaces.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

package deploycheck

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// repo is the repository root, from this package's directory.
const repo = "../.."

// artifact is what scripts/build.sh writes for one platform: the zip's entries in order, the
// first being the binary.
var artifacts = map[string][]string{
	"lambda": {"bootstrap"},
	"scf":    {"main"},
	"web":    {"main", "scf_bootstrap"},
}

// machines are the ELF machines of the architectures build.sh takes.
var machines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// zipEpoch is the fixed time of every entry (SOURCE_DATE_EPOCH unset).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// buildSh runs scripts/build.sh with DIST_DIR=dist and returns the zip path it printed.
func buildSh(t *testing.T, dist string, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(repo, "scripts/build.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "DIST_DIR="+dist)
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") })
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// TestBuildScript builds every platform for every architecture with scripts/build.sh and
// checks what it wrote: names, modes, time, static stripped ELF binaries for the architecture,
// the directory beside the zip, and byte-identical zips from a second build.
func TestBuildScript(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles every function; skipped with -short")
	}
	dist := t.TempDir()
	for _, platform := range []string{"lambda", "scf", "web"} {
		for _, arch := range []string{"amd64", "arm64"} {
			t.Run(platform+"-"+arch, func(t *testing.T) {
				zipPath := buildSh(t, dist, platform, arch)
				if want := filepath.Join(dist, platform+"-"+arch+".zip"); zipPath != want {
					t.Errorf("build.sh printed %q, want %q", zipPath, want)
				}
				files := checkZip(t, zipPath, artifacts[platform], machines[arch])
				checkDir(t, filepath.Join(dist, platform+"-"+arch), files)
				if platform == "web" {
					checkSCFBootstrap(t, files["scf_bootstrap"])
				}
			})
		}
	}

	t.Run("reproducible", func(t *testing.T) {
		again := t.TempDir()
		for _, c := range [][2]string{{"lambda", "arm64"}, {"web", "amd64"}} {
			a, err := os.ReadFile(filepath.Join(dist, c[0]+"-"+c[1]+".zip"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(buildSh(t, again, c[0], c[1]))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s-%s: two builds of the same commit give different zips", c[0], c[1])
			}
		}
	})

	t.Run("defaults", func(t *testing.T) {
		// lambda defaults to arm64 (template.yaml), scf and web to amd64 (serverless*.yml).
		dflt := t.TempDir()
		for platform, arch := range map[string]string{"lambda": "arm64", "web": "amd64"} {
			if got, want := buildSh(t, dflt, platform), filepath.Join(dflt, platform+"-"+arch+".zip"); got != want {
				t.Errorf("build.sh %s wrote %s, want %s", platform, got, want)
			}
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{}, {"container"}, {"scf", "386"}, {"scf", "amd64", "extra"}} {
			cmd := exec.Command("bash", append([]string{filepath.Join(repo, "scripts/build.sh")}, args...)...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !(errors.As(err, &ee) && ee.ExitCode() == 2) || !strings.Contains(string(out), "usage:") {
				t.Errorf("build.sh %q: %v, %s; want exit 2 and the usage", args, err, out)
			}
		}
	})
}

// checkZip checks the zip's entries and returns their contents by name.
func checkZip(t *testing.T, path string, names []string, machine elf.Machine) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	var got []string
	for _, f := range zr.File {
		got = append(got, f.Name)
		if f.Mode() != 0o755 {
			t.Errorf("%s: mode %v, want 0755 (-rwxr-xr-x)", f.Name, f.Mode())
		}
		if !f.Modified.Equal(zipEpoch) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, zipEpoch)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b
	}
	if !slices.Equal(got, names) {
		t.Fatalf("%s holds %v, want %v", filepath.Base(path), got, names)
	}
	checkELF(t, names[0], files[names[0]], machine)
	return files
}

// checkELF checks that b is a static, stripped Linux executable for machine.
func checkELF(t *testing.T, name string, b []byte, machine elf.Machine) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not an ELF file: %v", name, err)
	}
	defer f.Close()
	if f.Machine != machine || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("%s: %v %v %v, want a 64-bit %v executable", name, f.Class, f.Type, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked (CGO_ENABLED=0 gives a static binary)", name)
		}
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s has a symbol table (-ldflags -s strips it)", name)
	}
	for _, local := range localPaths(t) {
		if bytes.Contains(b, []byte(local)) {
			t.Errorf("%s holds the local path %s (-trimpath removes them)", name, local)
		}
	}
}

// localPaths are the directories of this machine a binary built without -trimpath would name:
// the repository, the module cache and GOROOT.
func localPaths(t *testing.T) []string {
	t.Helper()
	abs, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "env", "GOMODCACHE", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	return append(strings.Fields(string(out)), abs+"/")
}

// checkDir checks that dir holds exactly the zip's files, same bytes, mode 0755.
func checkDir(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(des) != len(files) {
		t.Errorf("%s holds %d files, the zip %d", dir, len(des), len(files))
	}
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, files[de.Name()]) || fi.Mode() != 0o755 {
			t.Errorf("%s/%s: mode %v, same bytes as the zip: %v", dir, de.Name(), fi.Mode(), bytes.Equal(b, files[de.Name()]))
		}
	}
}

// checkSCFBootstrap checks the web function's start script: it is the repository's file, a
// bash script that starts ./main on 0.0.0.0:9000, as SCF web functions require.
func checkSCFBootstrap(t *testing.T, b []byte) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repo, "functions/web/scf_bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, src) {
		t.Error("scf_bootstrap in the zip differs from functions/web/scf_bootstrap")
	}
	s := string(b)
	for _, want := range []string{"#!/bin/bash\n", "\nexport PORT=9000\n", "\nexport ROOMHOOK_LISTEN_HOST=0.0.0.0\n", "\nexec ./main\n"} {
		if !strings.Contains(s, want) || (want[0] == '#' && !strings.HasPrefix(s, want)) {
			t.Errorf("scf_bootstrap lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\r") {
		t.Error("scf_bootstrap has CR line ends")
	}
}

// TestShellScripts checks the syntax of every shell script the repository runs or ships.
func TestShellScripts(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	scripts, _ := filepath.Glob(filepath.Join(repo, "scripts/*.sh"))
	scripts = append(scripts, filepath.Join(repo, "functions/web/scf_bootstrap"))
	for _, s := range scripts {
		if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", s)
		}
	}
}

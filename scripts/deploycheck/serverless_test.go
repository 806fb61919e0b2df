package deploycheck

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomhook/roomhook/pkg/config"
)

// slsConfig is what roomhook's serverless*.yml files use of the scf component's configuration;
// decoding refuses any other key, so a misspelt one fails here rather than being ignored.
type slsConfig struct {
	Component string `yaml:"component"`
	Name      string `yaml:"name"`
	Inputs    struct {
		Name        string `yaml:"name"`
		Namespace   string `yaml:"namespace"`
		Region      string `yaml:"region"`
		Description string `yaml:"description"`
		Type        string `yaml:"type"`
		Src         string `yaml:"src"`
		Handler     string `yaml:"handler"`
		Runtime     string `yaml:"runtime"`
		MemorySize  int    `yaml:"memorySize"`
		Timeout     int    `yaml:"timeout"`
		Environment struct {
			Variables map[string]string `yaml:"variables"`
		} `yaml:"environment"`
		Events []struct {
			HTTP *struct {
				Parameters struct {
					Name      string `yaml:"name"`
					Qualifier string `yaml:"qualifier"`
					AuthType  string `yaml:"authType"`
					NetConfig struct {
						EnableIntranet bool `yaml:"enableIntranet"`
						EnableExtranet bool `yaml:"enableExtranet"`
					} `yaml:"netConfig"`
				} `yaml:"parameters"`
			} `yaml:"http"`
		} `yaml:"events"`
	} `yaml:"inputs"`
}

func loadServerless(t *testing.T, file string) (slsConfig, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, file))
	if err != nil {
		t.Fatal(err)
	}
	var c slsConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c, string(data)
}

// secrets must come from the environment of `scf deploy`, never from the file.
var secrets = []string{config.EnvSdkAppID, config.EnvCallbackToken, config.EnvStore}

// checkSCF checks what both SCF deployments share: the Go runtime, the code from scripts/build.sh
// for platform, the variables, and the timing.
func checkSCF(t *testing.T, file string, c slsConfig, platform, wantType string) {
	t.Helper()
	in := c.Inputs
	if c.Component != "scf" || in.Runtime != "Go1" || in.Type != wantType {
		t.Errorf("%s: component %q, runtime %q, type %q; want scf, Go1, %s", file, c.Component, in.Runtime, in.Type, wantType)
	}
	// SCF's Go runtime runs x86-64 binaries: the code is what build.sh writes for amd64.
	if want := "./dist/" + platform + "-amd64"; in.Src != want {
		t.Errorf("%s: src %q, want %q (scripts/build.sh %s amd64)", file, in.Src, want, platform)
	}
	if in.MemorySize != 128 || in.Timeout != 3 {
		t.Errorf("%s: memorySize %d, timeout %d; want 128 (MB) and 3 (s): Tencent waits 2 s", file, in.MemorySize, in.Timeout)
	}
	checkFunctionURL(t, file, c)
	vars := in.Environment.Variables
	checkVariables(t, file, vars)
	checkStoreTimeout(t, file, vars, time.Duration(in.Timeout)*time.Second)
	for _, name := range secrets {
		if want := "${env:" + name + "}"; vars[name] != want {
			t.Errorf("%s: %s = %q, want %s: nothing secret or account-specific is committed", file, name, vars[name], want)
		}
	}
	for name, v := range vars {
		if !slices.Contains(secrets, name) && strings.Contains(v, "${") {
			t.Errorf("%s: %s = %q: a setting with a safe default is written out", file, name, v)
		}
	}
}

// checkFunctionURL: the one trigger is the function URL (the component's http trigger), public
// and without authentication at the URL, on the function's default alias; no API Gateway
// trigger (decoding refuses any other trigger type).
func checkFunctionURL(t *testing.T, file string, c slsConfig) {
	t.Helper()
	if len(c.Inputs.Events) != 1 || c.Inputs.Events[0].HTTP == nil {
		t.Fatalf("%s: events %+v: want one http trigger (the function URL)", file, c.Inputs.Events)
	}
	p := c.Inputs.Events[0].HTTP.Parameters
	if p.AuthType != "NONE" || !p.NetConfig.EnableExtranet || p.NetConfig.EnableIntranet || p.Qualifier != "$DEFAULT" || p.Name == "" {
		t.Errorf("%s: function URL %+v: want a named URL on $DEFAULT, AuthType NONE, extranet on, intranet off", file, p)
	}
}

func TestServerlessEventFunction(t *testing.T) {
	c, text := loadServerless(t, "serverless.yml")
	checkSCF(t, "serverless.yml", c, "scf", "event")
	if c.Inputs.Handler != artifacts["scf"][0] {
		t.Errorf("handler %q, want %q, the binary in dist/scf-amd64.zip", c.Inputs.Handler, artifacts["scf"][0])
	}
	for _, want := range []string{"function URL", "serverless.web.yml", "scf deploy"} {
		if !strings.Contains(text, want) {
			t.Errorf("serverless.yml does not mention %q", want)
		}
	}
}

func TestServerlessWebFunction(t *testing.T) {
	c, text := loadServerless(t, "serverless.web.yml")
	checkSCF(t, "serverless.web.yml", c, "web", "web")
	if c.Inputs.Handler != "" {
		t.Errorf("handler %q: a web function is started by scf_bootstrap", c.Inputs.Handler)
	}
	if !slices.Contains(artifacts["web"], "scf_bootstrap") {
		t.Error("the web zip has no scf_bootstrap")
	}
	for _, want := range []string{"scf_bootstrap", "9000", "function URL", "scf deploy"} {
		if !strings.Contains(text, want) {
			t.Errorf("serverless.web.yml does not mention %q", want)
		}
	}
	event, _ := loadServerless(t, "serverless.yml")
	if c.Name == event.Name || c.Inputs.Name == event.Inputs.Name {
		t.Errorf("serverless.web.yml and serverless.yml share the name %q / %q: one deployment would replace the other", c.Name, c.Inputs.Name)
	}
}

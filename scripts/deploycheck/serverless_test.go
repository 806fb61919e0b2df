package deploycheck

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"regexp"
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
			Timer *struct {
				Parameters struct {
					Name           string `yaml:"name"`
					Qualifier      string `yaml:"qualifier"`
					CronExpression string `yaml:"cronExpression"`
					Enable         bool   `yaml:"enable"`
				} `yaml:"parameters"`
			} `yaml:"timer"`
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

// fromDeployer are the variables taken from the environment of `scf deploy`: the secrets, and
// the archive retention, a choice of each deployment with no value to write here (unset, the
// framework leaves the variable out: archived callbacks are kept forever).
var fromDeployer = append(slices.Clone(secrets), config.EnvArchiveRetention)

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
	checkSCFVariables(t, file, c)
}

// checkSCFVariables: every variable roomhook reads, the deployer's from the environment and the
// others written out, the store's budget below the function's timeout.
func checkSCFVariables(t *testing.T, file string, c slsConfig) {
	t.Helper()
	vars := c.Inputs.Environment.Variables
	checkVariables(t, file, vars)
	checkStoreTimeout(t, file, vars, time.Duration(c.Inputs.Timeout)*time.Second)
	for _, name := range fromDeployer {
		if want := "${env:" + name + "}"; vars[name] != want {
			t.Errorf("%s: %s = %q, want %s: nothing secret or account-specific is committed", file, name, vars[name], want)
		}
	}
	for name, v := range vars {
		if !slices.Contains(fromDeployer, name) && strings.Contains(v, "${") {
			t.Errorf("%s: %s = %q: a setting with a safe default is written out", file, name, v)
		}
	}
}

// checkFunctionURL: the one trigger is the function URL (the component's http trigger), public
// and without authentication at the URL, on the function's default alias; no API Gateway
// trigger (decoding refuses any other trigger type).
func checkFunctionURL(t *testing.T, file string, c slsConfig) {
	t.Helper()
	if len(c.Inputs.Events) != 1 || c.Inputs.Events[0].HTTP == nil || c.Inputs.Events[0].Timer != nil {
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

// dailyCron is a Tencent timer's cron expression (second minute hour day month week year) that
// fires once a day at a fixed time.
var dailyCron = regexp.MustCompile(`^([0-5]?[0-9]) ([0-5]?[0-9]) (1?[0-9]|2[0-3]) \* \* \* \*$`)

// TestServerlessPurgeFunction: serverless.purge.yml deploys serverless.yml's function again, the
// same code and variables, as roomhook-purge with the longest timeout and one trigger, a timer
// switched on once a day (the toolkit creates a timer switched off unless enable is true); no
// function URL, no API gateway.
func TestServerlessPurgeFunction(t *testing.T) {
	c, text := loadServerless(t, "serverless.purge.yml")
	event, _ := loadServerless(t, "serverless.yml")
	web, _ := loadServerless(t, "serverless.web.yml")
	in, ev := c.Inputs, event.Inputs
	if c.Component != "scf" || in.Type != ev.Type || in.Runtime != ev.Runtime || in.Src != ev.Src || in.Handler != ev.Handler ||
		in.Namespace != ev.Namespace || in.Region != ev.Region || in.MemorySize != ev.MemorySize {
		t.Errorf("serverless.purge.yml: %+v; want serverless.yml's component, type, runtime, code, handler, namespace, region and memory", in)
	}
	if in.Timeout != 900 {
		t.Errorf("serverless.purge.yml: timeout %d, want 900 (s): a pass stops a margin before it", in.Timeout)
	}
	if !maps.Equal(in.Environment.Variables, ev.Environment.Variables) {
		t.Errorf("serverless.purge.yml's variables %v differ from serverless.yml's %v", in.Environment.Variables, ev.Environment.Variables)
	}
	checkSCFVariables(t, "serverless.purge.yml", c)
	if len(in.Events) != 1 || in.Events[0].Timer == nil || in.Events[0].HTTP != nil {
		t.Fatalf("serverless.purge.yml: events %+v: want one timer trigger, no function URL", in.Events)
	}
	p := in.Events[0].Timer.Parameters
	if p.Name == "" || p.Qualifier != "$DEFAULT" || !p.Enable || !dailyCron.MatchString(p.CronExpression) {
		t.Errorf("serverless.purge.yml: timer %+v: want a named timer on $DEFAULT, switched on, once a day", p)
	}
	for _, other := range []slsConfig{event, web} {
		if c.Name == other.Name || in.Name == other.Inputs.Name {
			t.Errorf("serverless.purge.yml shares the name %q / %q with %s: one deployment would replace the other", c.Name, in.Name, other.Name)
		}
	}
	for _, want := range []string{"scf deploy", "serverless.yml", "ROOMHOOK_ARCHIVE_RETENTION", "timer"} {
		if !strings.Contains(text, want) {
			t.Errorf("serverless.purge.yml does not mention %q", want)
		}
	}
}

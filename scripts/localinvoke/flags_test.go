package localinvoke

import (
	"os/exec"
	"reflect"
	"testing"
	"time"
)

func TestSymbolFlags(t *testing.T) {
	got := SymbolFlags()
	want := []string{"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags", "-buildid="}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SymbolFlags = %q, want %q (the release flags without -s -w)", got, want)
	}
	if flags := BuildFlags(); reflect.DeepEqual(flags, got) || flags[len(flags)-1] != "-s -w -buildid=" {
		t.Errorf("SymbolFlags changed BuildFlags: %q", flags)
	}
}

// TestRunning: a process runs until it exits; exited but not reaped (a zombie) it does not.
func TestRunning(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !Running(pid) {
		t.Fatal("a started process does not run")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for range 100 { // killed, not yet waited for: a zombie
		if !Running(pid) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if Running(pid) {
		t.Error("a killed process still runs before it is reaped")
	}
	cmd.Wait()
	if Running(pid) {
		t.Error("a reaped process still runs")
	}
}

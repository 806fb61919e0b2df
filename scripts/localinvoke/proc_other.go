//go:build unix && !linux

package localinvoke

import "syscall"

// sysProcAttr puts the child in a process group of its own, so Close can
// signal it and whatever it runs in that group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// procRef names one process. Without /proc, descendants are not tracked:
// a function the emulator started ends by itself once the emulator's Runtime
// API is gone (aws-lambda-go exits when it cannot fetch the next event).
type procRef struct{ pid int }

func descendants(root int) []procRef { return nil }

func (r procRef) alive() bool { return false }

func (r procRef) kill() {}

// listensOn cannot tell without /proc; readiness falls back to dialing.
func listensOn(pid, port int) (owned, known bool) { return false, false }

func zombie(pid int) bool { return false }

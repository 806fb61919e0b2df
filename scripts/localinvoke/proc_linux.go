package localinvoke

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the child in a process group of its own (so Close can
// signal it and whatever it runs in that group) and kills it if the process
// that started it dies first, for example a test binary killed on timeout.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// procRef names one process by pid and start time, so a pid reused after it
// exited is never mistaken for it.
type procRef struct {
	pid   int
	start string
}

// descendants lists the processes below root, read from /proc.
func descendants(root int) []procRef {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]procRef{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, ok := readStat(pid)
		if !ok {
			continue
		}
		children[st.ppid] = append(children[st.ppid], procRef{pid: pid, start: st.start})
	}
	var out []procRef
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
	}
	return out
}

type procStat struct {
	state byte
	ppid  int
	start string
}

// readStat parses /proc/PID/stat: the command name is in parentheses and may
// hold anything, so fields are counted after the last ')'.
func readStat(pid int) (procStat, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state), f[1] field 4 (ppid), f[19] field 22 (starttime).
	if len(f) < 20 || len(f[0]) == 0 {
		return procStat{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, false
	}
	return procStat{state: f[0][0], ppid: ppid, start: f[19]}, true
}

// alive reports whether the process still runs (a zombie waiting for its
// new parent to reap it does not count).
func (r procRef) alive() bool {
	st, ok := readStat(r.pid)
	return ok && st.start == r.start && st.state != 'Z' && st.state != 'X'
}

func (r procRef) kill() {
	if r.alive() {
		_ = syscall.Kill(r.pid, syscall.SIGKILL)
	}
}

// listensOn reports whether process pid holds a TCP socket listening on
// port (on any address), from /proc/net/tcp{,6} and /proc/PID/fd. A port
// picked free may be taken by another process before ours binds it; a dial
// would then reach the wrong server, this does not. known is false when
// /proc cannot tell. A process that is gone (its /proc entry removed) holds
// nothing: when it failed to bind because another process took the port,
// the other's server must not be taken for its own.
func listensOn(pid, port int) (owned, known bool) {
	inodes := map[string]bool{}
	readable := false
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		readable = true
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
	}
	if !readable {
		return false, false
	}
	if len(inodes) == 0 {
		return false, true
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return false, true // the process exited (and was reaped) meanwhile
	}
	if err != nil {
		return false, false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(dir + "/" + fd.Name()); err == nil && inodes[target] {
			return true, true
		}
	}
	return false, true
}

// zombie reports whether pid has exited but is not reaped yet.
func zombie(pid int) bool {
	st, ok := readStat(pid)
	return ok && (st.state == 'Z' || st.state == 'X')
}

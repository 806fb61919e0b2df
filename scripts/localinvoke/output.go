package localinvoke

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

const (
	keptLines   = 20  // function output lines remembered for error messages
	reportLines = 6   // at most this many of them in one error
	maxLineLen  = 400 // longer remembered lines are cut
)

// lineKind says what a line of a process's output is.
type lineKind int

const (
	functionLine lineKind = iota // printed by the function
	runtimeLine                  // printed by the emulator itself
	failureLine                  // the emulator reporting why init or an invocation failed
)

type loggedLine struct {
	seq  int
	text string
}

// outputLog forwards a process's stdout and stderr to the caller's writer
// and remembers the last lines, so errors can say what the function printed.
// Both streams share one outputLog (and so one pipe: os/exec does that when
// Stdout and Stderr are the same writer), which keeps them in order.
type outputLog struct {
	dst      io.Writer
	classify func(line string) lineKind // nil: every line is the function's

	mu       sync.Mutex
	partial  []byte
	seq      int          // complete lines seen so far
	all      []loggedLine // last lines of any kind
	function []loggedLine // last function lines
	failures []loggedLine // last failure lines
}

func newOutputLog(dst io.Writer, classify func(string) lineKind) *outputLog {
	return &outputLog{dst: dst, classify: classify}
}

// Write forwards p and records its complete lines. It never fails: a
// failing destination must not block the child on a full pipe.
func (o *outputLog) Write(p []byte) (int, error) {
	_, _ = o.dst.Write(p)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		o.record(string(o.partial[:i]))
		o.partial = o.partial[i+1:]
	}
	if len(o.partial) > 64<<10 { // a huge line without newline: record what we have
		o.record(string(o.partial))
		o.partial = nil
	}
	return len(p), nil
}

// flush records a last line that had no newline; called when the process
// has exited and its output is drained.
func (o *outputLog) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.record(string(o.partial))
		o.partial = nil
	}
}

func (o *outputLog) record(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	if len(line) > maxLineLen {
		line = line[:maxLineLen] + "…"
	}
	o.seq++
	l := loggedLine{seq: o.seq, text: line}
	o.all = keepLast(append(o.all, l), keptLines)
	kind := functionLine
	if o.classify != nil {
		kind = o.classify(line)
	}
	switch kind {
	case functionLine:
		o.function = keepLast(append(o.function, l), keptLines)
	case failureLine:
		o.failures = keepLast(append(o.failures, l), keptLines)
	}
}

func keepLast(ls []loggedLine, n int) []loggedLine {
	if len(ls) > n {
		ls = append(ls[:0:0], ls[len(ls)-n:]...)
	}
	return ls
}

// mark returns a position: lines recorded later are "since" it.
func (o *outputLog) mark() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seq
}

// functionSince returns the last function lines recorded after mark.
func (o *outputLog) functionSince(mark int) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return since(o.function, mark)
}

// allSince returns the last lines of any kind recorded after mark.
func (o *outputLog) allSince(mark int) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return since(o.all, mark)
}

// failuresSince returns the failure lines recorded after mark.
func (o *outputLog) failuresSince(mark int) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return since(o.failures, mark)
}

func since(ls []loggedLine, mark int) []string {
	var out []string
	for _, l := range ls {
		if l.seq > mark {
			out = append(out, l.text)
		}
	}
	if len(out) > reportLines {
		out = out[len(out)-reportLines:]
	}
	return out
}

// contains reports whether any remembered line contains s.
func (o *outputLog) contains(s string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range o.all {
		if strings.Contains(l.text, s) {
			return true
		}
	}
	return false
}

// quoteLines renders lines for an error message.
func quoteLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return "; output: " + strings.Join(lines, " | ")
}

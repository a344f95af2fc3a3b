// Package xvfbtest gives tests a private X server (Xvfb) and the xclip
// commands to read and set its clipboard. Only tests import it.
package xvfbtest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Deadline bounds every wait on the X server.
const Deadline = 30 * time.Second

// Require skips the test when one of the tools is not installed, except
// when CI=true: there the X tests must run, and a missing tool fails them.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := strings.Join(missing, ", ") + " not installed (on Debian: apt-get install xvfb xclip xsel)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true forbids skipping the X clipboard tests")
	}
	t.Skip(msg)
}

// Start starts Xvfb on a display it chooses itself (-displayfd) and returns
// that display (":N"). Xvfb writes the number once it accepts connections,
// so there is neither a race for a free number nor a sleep. The server is
// stopped when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	Require(t, "Xvfb", "xclip")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "320x240x24")
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if _, err := strconv.Atoi(n); err != nil {
			<-exited // so stderr is complete
			t.Fatalf("Xvfb did not start: %s", stderr.String())
		}
		return ":" + n
	case <-time.After(Deadline):
		t.Fatalf("Xvfb did not accept connections within %v", Deadline)
	}
	return ""
}

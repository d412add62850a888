package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"syscall"
	"time"
)

// child is a process the bench started and answers HTTP: serve, or the
// bare floor.
type child struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	// err is how it ended, once exited is closed.
	err error
}

// readyWithin bounds how long a child may take to answer /readyz.
const readyWithin = 10 * time.Second

// startChild starts cmd, which deathSignal ends when the bench ends however
// it ends, and returns once base's /readyz answers 200.
func startChild(name string, cmd *exec.Cmd, deathSignal syscall.Signal, base string) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: deathSignal}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	if err := c.waitReady(base); err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

// waitReady waits for base's /readyz to answer 200, at most readyWithin,
// and no longer than the child runs.
func (c *child) waitReady(base string) error {
	deadline := time.Now().Add(readyWithin)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("%s exited before it was ready: %w", c.name, c.err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s was not ready within %s", c.name, readyWithin)
}

// stop asks the child to end (SIGTERM) and returns how it ended; one
// still running after within is killed, and that is the error.
func (c *child) stop(within time.Duration) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return c.err
	case <-time.After(within):
		c.kill()
		return fmt.Errorf("%s still running %s after SIGTERM", c.name, within)
	}
}

// kill ends the child at once, if it still runs.
func (c *child) kill() {
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

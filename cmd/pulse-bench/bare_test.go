package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/store/storetest"
)

// TestMain lets this test binary be the floor's own process, as the bench
// binary is: startFloor starts /proc/self/exe with -serve-bare.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "-serve-bare" {
		fs := flag.NewFlagSet("serve-bare", flag.ExitOnError)
		redisURL := fs.String("redis", "", "")
		prefix := fs.String("bare-prefix", "", "")
		_ = fs.Parse(os.Args[3:])
		if err := serveBare(os.Args[2], *redisURL, *prefix); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestFloorInItsOwnProcessClaimsSignedEventsAndRefusesForgedOnes(t *testing.T) {
	st := storetest.MustOpen(t) // its prefix, the floor's keys included, goes when the test ends
	rdb, prefix := st.Client(), st.Key()
	f, err := startFloor(false, rdb, storetest.URL(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop) // also when the test fails before its own stop
	client := newClient(1)
	signed := newEvent("G1")
	if code, _ := post(client, f.base, signed); code != http.StatusOK {
		t.Fatalf("a signed event: %d, want 200", code)
	}
	if n, err := rdb.Exists(t.Context(), prefix+signed.id).Result(); err != nil || n != 1 {
		t.Fatalf("a signed event's claim: exists %d (%v), want 1", n, err)
	}

	forged := newEvent("G1")
	req, _ := http.NewRequest(http.MethodPost, f.base+"/slack/events", strings.NewReader(forged.body))
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a forged event: %d, want 401", resp.StatusCode)
	}
	if n, _ := rdb.Exists(t.Context(), prefix+forged.id).Result(); n != 0 {
		t.Fatal("a forged event was claimed")
	}

	f.stop()
	client.CloseIdleConnections()
	if _, err := http.Get(f.base + "/readyz"); err == nil {
		t.Fatal("the floor still answers after stop")
	}
}

func TestAChildThatExitsBeforeItIsReadyIsReportedAtOnce(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// No -bare-prefix: the floor refuses to start.
	cmd := exec.Command("/proc/self/exe", "-serve-bare", addr, "-redis", storetest.URL())
	_, err = startChild("the bare floor", cmd, syscall.SIGTERM, "http://"+addr)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("got %v, want the floor reported as exited before it was ready", err)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("got %v, want its exit status in the error", err)
	}
}

func TestStallMeterWithNoSleepSaysSo(t *testing.T) {
	if got := measureStalls(0).String(); got != "no sleep measured in 0s" {
		t.Fatalf("got %q", got)
	}
}

package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTryServesTheWebViewOnTheLocalPortItPrints: `pulse try` prints the
// web view's address; `/pulse web` in the demo chat prints a link that
// signs alice in, and her page shows her demo goals.
func TestTryServesTheWebViewOnTheLocalPortItPrints(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"pulse", "try"}, func(string) string { return "" }, inR, outW, io.Discard)
		_ = outW.Close()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(re *regexp.Regexp) string {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("try ended before printing %s", re)
				}
				if m := re.FindString(line); m != "" {
					return m
				}
			case <-deadline:
				t.Fatalf("try did not print %s", re)
			}
		}
	}
	home := wait(regexp.MustCompile(`http://127\.0\.0\.1:\d+/app/`))
	if _, err := io.WriteString(inW, "/pulse web\n"); err != nil {
		t.Fatal(err)
	}
	link := wait(regexp.MustCompile(`http://127\.0\.0\.1:\d+/app/signin\?t=[A-Za-z0-9_-]+`))
	if !strings.HasPrefix(link, strings.TrimSuffix(home, "/app/")) {
		t.Errorf("link %s is not on the printed address %s", link, home)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	u, _ := url.Parse(link)
	req, _ := http.NewRequest(http.MethodPost, u.Scheme+"://"+u.Host+"/app/signin", strings.NewReader(url.Values{"t": {u.Query().Get("t")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "alice") || !strings.Contains(string(body), "Raise checkout conversion") {
		t.Errorf("after sign-in: %d\n%s", resp.StatusCode, body)
	}
	_, _ = io.WriteString(inW, "/quit\n")
	go func() {
		for range lines {
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("try: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("try did not stop after /quit")
	}
}

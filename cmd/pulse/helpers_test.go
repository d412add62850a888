package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot/bottest"
)

// feishuPush posts plain to a serve's /feishu/events as Feishu pushes it:
// sealed with the test Encrypt Key and signed, now. It returns the status
// code; it takes no testing.T so the fault tests' goroutines can use it.
func feishuPush(base string, plain []byte) (int, error) {
	body, err := json.Marshal(map[string]string{"encrypt": bottest.SealFeishu(sbsFeishuKey, plain)})
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := "d3b6f1a2c4e5"
	req, err := http.NewRequest(http.MethodPost, base+"/feishu/events", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Lark-Request-Timestamp", ts)
	req.Header.Set("X-Lark-Request-Nonce", nonce)
	req.Header.Set("X-Lark-Signature", bottest.SignFeishu(ts, nonce, sbsFeishuKey, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("push to /feishu/events: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// postFeishu is feishuPush for the test goroutine: a failed request fails the test.
func postFeishu(t *testing.T, base string, plain []byte) int {
	t.Helper()
	code, err := feishuPush(base, plain)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Limits of one fetch; Config may tighten or loosen them.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 20
	// maxRedirects bounds same-host redirects.
	maxRedirects = 3
)

// Kinds of source.
const (
	KindJSON       = "json"
	KindPrometheus = "prometheus"
)

// Source is a metric endpoint declared once in the team file.
type Source struct {
	Team string
	Name string
	// Kind is KindJSON (URL answers JSON, Path leads to the number) or
	// KindPrometheus (URL is the server's base; Query is PromQL whose
	// instant result is one number).
	Kind string
	URL  string
	// Headers are sent with every fetch; their values come from
	// environment variables and are never logged.
	Headers  map[string]string
	Path     Path
	Query    string
	Schedule string
	// Goals are goal ids the file links to this source.
	Goals []string
}

// CutOff is a fetch stopped by one of the limits: its Reason is logged.
type CutOff struct{ Reason string }

func (c *CutOff) Error() string { return "cut off: " + c.Reason }

// fetcher gets numbers from sources within the limits.
type fetcher struct {
	client   *http.Client
	maxBytes int64
}

func newFetcher(timeout time.Duration, maxBytes int64, transport http.RoundTripper) *fetcher {
	return &fetcher{maxBytes: maxBytes, client: &http.Client{
		Timeout:   timeout,
		Transport: transport,
		// Redirects stay on the source's own host: a source must not be
		// able to send Pulse, with its secret headers, somewhere else.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				return &CutOff{Reason: fmt.Sprintf("redirected to another host (%s)", req.URL.Host)}
			}
			if len(via) > maxRedirects {
				return &CutOff{Reason: fmt.Sprintf("more than %d redirects", maxRedirects)}
			}
			return nil
		},
	}}
}

// Fetch reads the source's number now.
func (f *fetcher) Fetch(ctx context.Context, src Source) (float64, error) {
	target := src.URL
	if src.Kind == KindPrometheus {
		u, err := url.Parse(strings.TrimRight(src.URL, "/") + "/api/v1/query")
		if err != nil {
			return 0, fmt.Errorf("source url: %w", err)
		}
		q := u.Query()
		q.Set("query", src.Query)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pulse-metric-pull/1")
	for k, v := range src.Headers {
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		var cut *CutOff
		if errors.As(err, &cut) {
			return 0, cut
		}
		if ue := (*url.Error)(nil); errors.As(err, &ue) && ue.Timeout() {
			return 0, &CutOff{Reason: fmt.Sprintf("no answer within %s", f.client.Timeout)}
		}
		return 0, fmt.Errorf("fetch: %w", redact(err, target))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, fmt.Errorf("fetch: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) && ue.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return 0, &CutOff{Reason: fmt.Sprintf("body not read within %s", f.client.Timeout)}
		}
		return 0, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > f.maxBytes {
		return 0, &CutOff{Reason: fmt.Sprintf("body larger than %d bytes", f.maxBytes)}
	}
	return number(src, body)
}

// redact drops the query (which may carry a key) from a URL error.
func redact(err error, target string) error {
	u, perr := url.Parse(target)
	if perr != nil || u.RawQuery == "" {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), target, u.Scheme+"://"+u.Host+u.Path+"?…"))
}

// number reads the value out of a source's answer.
func number(src Source, body []byte) (float64, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return 0, fmt.Errorf("answer is not JSON: %w", err)
	}
	if src.Kind == KindPrometheus {
		return promNumber(doc)
	}
	return src.Path.Number(doc)
}

// promPaths read an instant query's one number: a vector's first sample
// or a scalar ([time, "value"] either way).
var (
	promVector = Path{{key: "data"}, {key: "result"}, {index: 0, isIdx: true}, {key: "value"}, {index: 1, isIdx: true}}
	promScalar = Path{{key: "data"}, {key: "result"}, {index: 1, isIdx: true}}
)

func promNumber(doc any) (float64, error) {
	obj, _ := doc.(map[string]any)
	if obj["status"] != "success" {
		return 0, fmt.Errorf("prometheus answered status %v: %v", obj["status"], obj["error"])
	}
	data, _ := obj["data"].(map[string]any)
	switch data["resultType"] {
	case "vector":
		if res, _ := data["result"].([]any); len(res) != 1 {
			return 0, fmt.Errorf("prometheus query returned %d series; make it return exactly one (sum(…), a label filter)", len(res))
		}
		return promVector.Number(doc)
	case "scalar":
		return promScalar.Number(doc)
	}
	return 0, fmt.Errorf("prometheus query returned a %v; make it an instant vector of one series or a scalar", data["resultType"])
}

package pull_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/pull"
)

// A gzip bomb (20 MB of JSON compressed to a few KB) is cut off by the
// size limit on what it decompresses to, not on the bytes on the wire.
func TestAGzipBombIsCutOffByItsDecompressedSize(t *testing.T) {
	var packed bytes.Buffer
	zw := gzip.NewWriter(&packed)
	zw.Write([]byte(`{"data": {"conversion": {"rate": 2.6, "pad": "`))
	zw.Write(bytes.Repeat([]byte("0"), 20<<20))
	zw.Write([]byte(`"}}}`))
	zw.Close()
	bomb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		w.Write(packed.Bytes())
	}))
	defer bomb.Close()
	if packed.Len() > 1<<20 {
		t.Fatalf("the bomb is %d bytes on the wire; it must be under the limit to test anything", packed.Len())
	}
	f := newFixture(t)
	src := jsonSource(bomb.URL)
	_, err := f.runner(src, 5*time.Second, 1<<20).Pull(context.Background(), src, now)
	var cut *pull.CutOff
	if !errors.As(err, &cut) || cut.Reason != "body larger than 1048576 bytes" {
		t.Fatalf("err %v, want the size cut-off", err)
	}
	if n := len(f.updates()); n != 0 {
		t.Fatalf("the bomb recorded %d updates", n)
	}
}

// Values a data tool or Prometheus may answer that are not a usable
// number are refused with a logged reason, never recorded; the secret
// header is never in the log.
func TestNonNumbersFromASourceAreNotRecorded(t *testing.T) {
	for _, body := range []string{
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764579600,"NaN"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764579600,"+Inf"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764579600,"1e17"]}]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[]}}`,
		`{"status":"error","error":"s3cret <!channel>"}`,
		`not json`, ``, `{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"2.5"]},{"value":[1,"2.6"]}]}}`,
	} {
		t.Run(body, func(t *testing.T) {
			prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, body)
			}))
			defer prom.Close()
			f := newFixture(t)
			src := pull.Source{Team: "growth", Name: "shop-conversion", Kind: pull.KindPrometheus, URL: prom.URL,
				Query: "sum(rate(x[5m]))", Schedule: "*/15 * * * *", Headers: map[string]string{"Authorization": "Bearer s3cret-token"}}
			f.runner(src, time.Second, 1<<20).Pull(context.Background(), src, now)
			if ups := f.updates(); len(ups) != 0 {
				t.Fatalf("recorded %+v", ups)
			}
			if strings.Contains(f.logs.String(), "s3cret-token") {
				t.Fatalf("the header secret is in the log: %s", f.logs.String())
			}
		})
	}
}

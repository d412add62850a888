package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Excel's "CSV UTF-8" and `pulse export` start the file with a byte-order
// mark; the header (or first row) behind it still reads. A row in another
// encoding (GBK from a Chinese Excel) is one problem naming its line.
func TestProgressCSVReadsAByteOrderMarkAndNamesRowsInAnotherEncoding(t *testing.T) {
	ctx := context.Background()
	env, st := redisEnv(t)
	conv, _ := seedGoals(t, st)
	day := func(d int) string { return time.Now().AddDate(0, 0, -d).UTC().Format(time.DateOnly) }
	for _, file := range []string{"goal,value,time\r\n" + conv + ",2.2," + day(9), conv + ",2.3," + day(8) + "\r\n" + conv + ",2.35," + day(7)} {
		withBOM := writeFile(t, "bom.csv", "\ufeff"+file+"\r\n")
		out, stderr, err := runPulse(ctx, env, "", "progress", "--csv", withBOM)
		if err != nil {
			t.Fatalf("file with a BOM %q: %v\n%s", file, err, stderr)
		}
		if !strings.Contains(out, "recorded") {
			t.Fatalf("out %q", out)
		}
	}
	gbk := writeFile(t, "gbk.csv", conv+",2.4,"+day(5)+"\n"+conv+",\xb6\xfe\xb5\xe3\xce\xe5,"+day(4)+"\n")
	_, stderr, err := runPulse(ctx, env, "", "progress", "--csv", gbk)
	if err == nil || !strings.Contains(stderr, "line 2:") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("GBK row: %v\n%s", err, stderr)
	}
	if ups := goalUpdates(t, st, conv); len(ups) != 3 {
		t.Fatalf("%d updates, want the three from the BOM files", len(ups))
	}
}

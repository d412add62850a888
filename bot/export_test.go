package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/parse"
)

// TestExportCSVHasBOMStableColumnsAndChinese checks what a spreadsheet
// opens: a UTF-8 byte-order mark, the documented header, and Chinese text
// intact, with one row per record of each kind.
func TestExportCSVHasBOMStableColumnsAndChinese(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	var buf bytes.Buffer
	if err := h.svc.Export(context.Background(), &buf, bot.ExportRequest{Format: "csv", TeamID: "growth",
		From: at(2026, 11, 1, 0, 0), To: at(2026, 12, 1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
		t.Fatal("CSV does not start with a UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := "record,team,id,person,time,goal,value,status,text,extra,questions"
	if got := strings.Join(rows[0], ","); got != want {
		t.Fatalf("header %q, want %q", got, want)
	}
	kinds := map[string]int{}
	for _, r := range rows[1:] {
		if len(r) != len(bot.ExportColumns) {
			t.Fatalf("row %v has %d columns", r, len(r))
		}
		kinds[r[0]]++
	}
	// 4 goals; 7 updates and 3 kudos in November; 8 check-ins in W44–W49.
	if kinds["goal"] != 4 || kinds["update"] != 7 || kinds["kudos"] != 3 || kinds["checkin"] != 8 {
		t.Fatalf("rows by kind %v", kinds)
	}
	if !strings.Contains(buf.String(), "降低退款率") || !strings.Contains(buf.String(), "谢谢支持") {
		t.Fatal("Chinese goal title or kudos message missing from the CSV")
	}
}

// TestScorecardExportByMonthAndQuarter checks the period words of
// `/scorecard export`, the file it sends and who may ask for it.
func TestScorecardExportByMonthAndQuarter(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	h.clock.Set(at(2026, 11, 27, 16, 0))
	month := h.say(maya, "/scorecard export csv 2026-11")
	if month.File == nil || month.File.Name != "pulse-growth-2026-11.csv" || month.File.MIME != "text/csv; charset=utf-8" {
		t.Fatalf("month export file %+v", month.File)
	}
	if strings.Contains(string(month.File.Data), "2026-10-12") {
		t.Fatal("the November export holds an October update")
	}
	quarter := h.say(admin, "/scorecard export json team growth 2026-q4")
	if quarter.File == nil || quarter.File.Name != "pulse-growth-2026-Q4.json" {
		t.Fatalf("quarter export file %+v", quarter.File)
	}
	var doc bot.Export
	if err := json.Unmarshal(quarter.File.Data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Updates) != 8 || len(doc.Kudos) != 3 || len(doc.Goals) != 4 {
		t.Fatalf("Q4 export: %d updates, %d kudos, %d goals", len(doc.Updates), len(doc.Kudos), len(doc.Goals))
	}
	mustContain(t, text(h.say(alice, "/scorecard export csv 2026-11")), "for its managers and admins")
	mustContain(t, text(h.say(maya, "/scorecard export csv 2026-13")), "is not a period")
}

func TestParseExportPeriod(t *testing.T) {
	tests := []struct {
		in       string
		from, to time.Time
		bad      bool
	}{
		{in: "2026-11", from: at(2026, 11, 1, 0, 0), to: at(2026, 12, 1, 0, 0)},
		{in: "2026-3", from: at(2026, 3, 1, 0, 0), to: at(2026, 4, 1, 0, 0)},
		{in: "2026-Q4", from: at(2026, 10, 1, 0, 0), to: at(2027, 1, 1, 0, 0)},
		{in: "2026-q1", from: at(2026, 1, 1, 0, 0), to: at(2026, 4, 1, 0, 0)},
		{in: "2026-W48", from: at(2026, 11, 23, 0, 0), to: at(2026, 11, 30, 0, 0)},
		{in: "2026-13", bad: true},
		{in: "2026-0", bad: true},
		{in: "2026-Q5", bad: true},
		{in: "2027-W53", bad: true},
		{in: "November", bad: true},
		{in: "", bad: true},
	}
	for _, tc := range tests {
		from, to, err := parse.ExportPeriod(tc.in, berlin)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: got %v–%v, want an error", tc.in, from, to)
			}
			continue
		}
		if err != nil || !from.Equal(tc.from) || !to.Equal(tc.to) {
			t.Errorf("%q: got %v–%v (%v), want %v–%v", tc.in, from, to, err, tc.from, tc.to)
		}
	}
}

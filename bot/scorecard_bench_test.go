package bot_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

// Size of the benchmark team: SPEC's "team of 50 with a year of history",
// each person posting 5 updates, 1 check-in and 3 kudos a week.
const (
	benchPeople         = 50
	benchGoalsPerPerson = 3
	benchUpdatesPerWeek = 5
	benchKudosPerWeek   = 3
)

// BenchmarkScorecard builds one weekly team scorecard on real Redis for a
// team of 50 with a year of history, with TrendWeeks (8) weeks — all that a
// scorecard reads — and with one week, and reports the Redis round trips
// and the process CPU per scorecard. Run it with
//
//	go test ./bot -run '^$' -bench BenchmarkScorecard -benchtime 200x
func BenchmarkScorecard(b *testing.B) {
	for _, tc := range []struct {
		name  string
		weeks int
	}{{"year", 52}, {"8weeks", bot.TrendWeeks}, {"week", 1}} {
		// Seeded once per case, outside the timed runs; MustOpen's cleanup
		// deletes the keys when the benchmark ends.
		st := storetest.MustOpen(b)
		now := time.Date(2026, 11, 27, 16, 0, 0, 0, berlin)
		svc, team := seedBenchTeam(b, st, tc.weeks, now)
		rt := storetest.CountRoundTrips(st)
		period := bot.ISOWeek(now, team.Location())
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			rt.Reset()
			cpu := processCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sc, err := svc.BuildScorecard(ctx, team, period, "")
				if err != nil {
					b.Fatal(err)
				}
				if sc.Headline.Answered != benchPeople || len(sc.Goals) != benchPeople*benchGoalsPerPerson {
					b.Fatalf("scorecard has %d answers and %d goals", sc.Headline.Answered, len(sc.Goals))
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(rt.N())/float64(b.N), "roundtrips/op")
			// CPU time of this process (not Redis), which the machine's load
			// does not inflate the way it does wall time.
			b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// seedBenchTeam writes weeks of history for benchPeople members, one
// goroutine per person (each person's goals take their updates in order).
func seedBenchTeam(b *testing.B, st bot.Store, weeks int, now time.Time) (*bot.Service, bot.Team) {
	b.Helper()
	ctx := context.Background()
	svc, err := bot.NewService(bot.Config{Store: st, Messenger: &bottest.Messenger{}, Clock: bot.NewManualClock(now), Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	team := bot.NewTeam("Bench", bot.PlatformConsole, "bench", now.AddDate(0, 0, -7*weeks))
	team.TimeZone = "Europe/Berlin"
	team.Values = []string{"ownership", "candor"}
	team.AnnounceKudos = false
	people := make([]bot.UserID, benchPeople)
	for i := range people {
		people[i] = bot.NewUserID(bot.PlatformConsole, "bench", fmt.Sprintf("p%02d", i))
		if err := st.SavePerson(ctx, bot.Person{ID: people[i], Name: fmt.Sprintf("Person %02d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	team.Members = people
	team.Managers = people[:1]
	if err := svc.ApplyTeam(ctx, team); err != nil {
		b.Fatal(err)
	}
	loc := team.Location()
	first, _, err := bot.WeekBounds(bot.ISOWeek(now.AddDate(0, 0, -7*(weeks-1)), loc), loc)
	if err != nil {
		b.Fatal(err)
	}
	s := newSeeder(b, st, team.ID)
	started := time.Now()
	var wg sync.WaitGroup
	for i, id := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seedBenchPerson(s, id, people[(i+1)%len(people)], first, weeks, now, loc)
		}()
	}
	wg.Wait()
	b.Logf("seeded %d weeks × %d people in %v", weeks, benchPeople, time.Since(started).Round(time.Millisecond))
	return svc, team
}

func seedBenchPerson(s *seeder, id, friend bot.UserID, first time.Time, weeks int, now time.Time, loc *time.Location) {
	goals := make([]string, benchGoalsPerPerson)
	for g := range goals {
		goals[g] = s.goal(bot.Goal{Title: fmt.Sprintf("Goal %d of %s", g, id.Local()), Owner: id,
			Metric: bot.Metric{Baseline: 0, Target: 1000, Unit: "orders"}, Start: first, Due: first.AddDate(1, 0, 0)})
	}
	value := 0.0
	for w := 0; w < weeks; w++ {
		monday := first.AddDate(0, 0, 7*w)
		for u := 0; u < benchUpdatesPerWeek; u++ {
			when := monday.Add(time.Duration(u)*24*time.Hour + 10*time.Hour)
			if when.After(now) {
				break
			}
			value++
			s.update(goals[u%len(goals)], id, value, when, "progress")
		}
		s.checkIn(id, monday.Add(11*time.Hour), loc, 1+w%5, "none")
		for k := 0; k < benchKudosPerWeek; k++ {
			s.kudos(id, []bot.UserID{friend}, "thanks", []string{"ownership"}, monday.Add(time.Duration(k)*24*time.Hour+12*time.Hour))
		}
	}
}

// processCPU is the user and system CPU time the test process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

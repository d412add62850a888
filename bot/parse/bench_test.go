package parse

import (
	"strings"
	"testing"
	"time"
)

// The parsers run on every chat message the bot can see (LooksLikeProgress,
// LooksLikeKudos) and on every command, so they must stay cheap even for the
// longest text they accept.

func BenchmarkLooksLikeProgress(b *testing.B) {
	msgs := []string{"G7 2.6% shipped the new payment page", "G7 50%，进展顺利", "lunch anyone?", "kudos " + fuzzMention + " thanks"}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			LooksLikeProgress(m)
			LooksLikeKudos(m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/message")
}

func BenchmarkParseGoalSpec(b *testing.B) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"typical": "Raise checkout conversion from 2.1% to 3% by 2026-12-31 under G3 for " + fuzzMention,
		"chinese": "提升结账转化率从2.1%到3%截止2026年12月31日 负责人 " + fuzzMention,
		// The longest accepted text, all title words: the worst case for clause search.
		"longest": strings.Repeat("word ", MaxParseText/5-1) + "to",
	}
	for name, in := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = ParseGoalSpec(in, now, time.UTC)
			}
			b.ReportMetric(float64(len(in)), "bytes")
		})
	}
}

func BenchmarkSplitCommand(b *testing.B) {
	cmds := []string{"/goal new Raise conversion to 3% by Q3", "目标列表", "/pulse team add growth " + fuzzMention, "hello there"}
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range cmds {
			SplitCommand(c)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cmds)), "ns/command")
}

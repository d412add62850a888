package parse

import (
	"errors"
	"strings"
	"testing"
)

// Fuzzers for the API's parsers: token commands, template references and
// stated statuses. Run one with
//
//	go test ./bot/parse -run '^$' -fuzz FuzzParseTokenCommand -fuzztime 20s

func FuzzParseTokenCommand(f *testing.F) {
	for _, s := range []string{"growth", "growth shop-analytics", "growth 数据", "", "a b c", "GROWTH CI", "growth ../x", "g " + strings.Repeat("a", 41)} {
		for _, sub := range []string{"token create", "token list", "token revoke", "token", "token x"} {
			f.Add(sub, s)
		}
	}
	f.Fuzz(func(t *testing.T, sub, args string) {
		spec, err := ParseTokenCommand(sub, args)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Key == "" {
				t.Fatalf("error %v is not a *Error with a key", err)
			}
			return
		}
		switch spec.Action {
		case "create":
			if !ValidName(spec.Name) || spec.Team == "" {
				t.Fatalf("created %+v with an invalid name or no team", spec)
			}
		case "revoke":
			if spec.Team == "" || spec.Name == "" {
				t.Fatalf("revoke %+v", spec)
			}
		case "list":
		default:
			t.Fatalf("action %q", spec.Action)
		}
	})
}

func FuzzParseTemplateRef(f *testing.F) {
	for _, s := range []string{"from template conversion to 3.2% by end of quarter", "模板 转化率 到 3.2% 截止 季度末", "template", "from template",
		"用模板 复购率", "from tem plate x", "Raise conversion from 2.1% to 3%", "template refund from 5% to 3% by Q4", "\xff template x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		ref, ok, err := ParseTemplateRef(args)
		switch {
		case err != nil:
			var pe *Error
			if !ok || !errors.As(err, &pe) || pe.Key == "" {
				t.Fatalf("error %v (ok %v)", err, ok)
			}
		case ok:
			if ref.Name == "" || strings.TrimSpace(ref.Name) != ref.Name || !strings.Contains(fold(args), ref.Name) {
				t.Fatalf("ref %+v from %q", ref, args)
			}
			if ref.Rest != "" && !strings.HasSuffix(strings.TrimSpace(args), ref.Rest) {
				t.Fatalf("rest %q is not the end of %q", ref.Rest, args)
			}
		default:
			if ref != (TemplateRef{}) {
				t.Fatalf("not a template, yet %+v", ref)
			}
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"on_track", "on track", "AT RISK", "off-track", "有风险", "", "great", "on_track_x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, ok := ParseStatus(s)
		if ok != (st == OnTrack || st == AtRisk || st == OffTrack) {
			t.Fatalf("%q → %q, %v", s, st, ok)
		}
	})
}

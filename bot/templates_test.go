package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

func TestGoalFromTemplateFillsTitleUnitDirectionAndSourceInBothLanguages(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.svc.SetMetricSources(map[string][]string{"growth": {"shop-conversion"}})
	h.svc.SetTeamTemplates(map[string][]bot.GoalTemplate{"growth": {
		{Name: "conversion", Title: "Checkout conversion", TitleZh: "结账转化率", Unit: "%", Source: "shop-conversion"},
	}})
	reply := bot.PlainText(h.say(maya, "/goal new from template conversion to 3.2% by end of quarter for team growth").Reply)
	if !strings.Contains(reply, "Checkout conversion") || !strings.Contains(reply, "0% → 3.2%") || !strings.Contains(reply, "Fed by") {
		t.Fatalf("template goal: %q", reply)
	}
	goals, err := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goals %v %v", goals, err)
	}
	g := goals[0]
	if g.Metric.Unit != "%" || g.Metric.Target != 3.2 || g.Due.IsZero() || g.Source != "shop-conversion" || !g.IsSMART() {
		t.Fatalf("goal %+v", g)
	}
	// The defaults stay: refund is lower-is-better and needs its start.
	if r := bot.PlainText(h.say(alice, "/goal new from template refund to 3% by end of quarter").Reply); !strings.Contains(r, "say where it starts") {
		t.Fatalf("refund without from: %q", r)
	}
	if r := bot.PlainText(h.say(alice, "/goal new from template refund from 3% to 5% by end of quarter").Reply); !strings.Contains(r, "should go down") {
		t.Fatalf("refund going up: %q", r)
	}
	if r := bot.PlainText(h.say(alice, "/goal new from template refund from 5% to 3% by end of quarter").Reply); !strings.Contains(r, "Refund rate") || !strings.Contains(r, "5% → 3%") {
		t.Fatalf("refund: %q", r)
	}
	if r := bot.PlainText(h.say(alice, "/goal new from template aov to 5 orders by end of quarter").Reply); !strings.Contains(r, "orders") {
		t.Fatalf("wrong unit: %q", r)
	}
	if r := bot.PlainText(h.say(alice, "/goal new from template conversion to 3.2%").Reply); !strings.Contains(r, "needs a target and a date") {
		t.Fatalf("not SMART: %q", r)
	}
	if r := bot.PlainText(h.say(alice, "/goal new from template churn to 3% by Q4").Reply); !strings.Contains(r, "gmv (¥)") || !strings.Contains(r, "conversion (%)") {
		t.Fatalf("unknown template: %q", r)
	}
	// Chinese: 目标 新建 模板 …, the title in Chinese.
	zh := bot.PlainText(h.say(chen, "目标 新建 模板 复购率 从 20% 到 25% 截止 2026-12-31").Reply)
	if !strings.Contains(zh, "复购率") || !strings.Contains(zh, "20% → 25%") {
		t.Fatalf("Chinese template goal: %q", zh)
	}
	zq := bot.PlainText(h.say(chen, "目标 新建 模板 转化率 从 2.1% 到 3.2% 截止 季度末").Reply)
	if !strings.Contains(zq, "结账转化率") || !strings.Contains(zq, "2.1% → 3.2%") || !strings.Contains(zq, "2026-12-31") {
		t.Fatalf("Chinese template goal by the quarter's end: %q", zq)
	}
	if r := bot.PlainText(h.say(chen, "目标 新建 模板").Reply); !strings.Contains(r, "目标 新建 模板 转化率") {
		t.Fatalf("Chinese usage: %q", r)
	}
}

func TestOnlyAdminsLinkAGoalToADeclaredSource(t *testing.T) {
	h := newHarness(t)
	h.svc.SetMetricSources(map[string][]string{"growth": {"shop-conversion", "crm-nps"}})
	id := goalID(t, bot.PlainText(h.say(maya, "/goal new Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth").Reply))
	if r := bot.PlainText(h.say(maya, "/goal edit "+id+" source shop-conversion").Reply); !strings.Contains(r, "Only an admin") {
		t.Fatalf("a manager linked a source: %q", r)
	}
	if r := bot.PlainText(h.say(admin, "/goal edit "+id+" source nowhere").Reply); !strings.Contains(r, "shop-conversion, crm-nps") {
		t.Fatalf("unknown source: %q", r)
	}
	if r := bot.PlainText(h.say(admin, "/goal edit "+id+" source shop-conversion").Reply); !strings.Contains(r, "shop-conversion") {
		t.Fatalf("link: %q", r)
	}
	goals, err := h.svc.SourceGoals(context.Background(), "growth", "shop-conversion")
	if err != nil || len(goals) != 1 || goals[0].ID != id {
		t.Fatalf("linked goals %v %v", goals, err)
	}
	h.say(admin, "/goal edit "+id+" 来源 无")
	if goals, _ := h.svc.SourceGoals(context.Background(), "growth", "shop-conversion"); len(goals) != 0 {
		t.Fatalf("unlink left %v", goals)
	}
}

// goalID is the first goal id in a reply.
func goalID(t *testing.T, reply string) string {
	t.Helper()
	i := strings.Index(reply, "G")
	for i >= 0 && (i+1 >= len(reply) || reply[i+1] < '0' || reply[i+1] > '9') {
		j := strings.Index(reply[i+1:], "G")
		if j < 0 {
			i = -1
			break
		}
		i += j + 1
	}
	if i < 0 {
		t.Fatalf("no goal id in %q", reply)
	}
	j := i + 1
	for j < len(reply) && reply[j] >= '0' && reply[j] <= '9' {
		j++
	}
	return reply[i:j]
}

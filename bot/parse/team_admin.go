package parse

import (
	"fmt"
	"strings"
)

// The grammars of "/pulse team create|add|remove|managers|set".

// TeamCreateSpec is "/pulse team create <name> [#channel]".
type TeamCreateSpec struct {
	Name string
	// Channel is the channel named after '#', without it; "" when none was
	// given (the team takes the channel the command was typed in).
	Channel string
}

// ParseTeamCreate reads the arguments of "/pulse team create".
func ParseTeamCreate(args string) (TeamCreateSpec, error) {
	toks := Tokens(args)
	switch {
	case len(toks) == 1:
		return TeamCreateSpec{Name: toks[0]}, nil
	case len(toks) == 2 && strings.HasPrefix(toks[1], "#") && len(toks[1]) > 1:
		return TeamCreateSpec{Name: toks[0], Channel: strings.TrimPrefix(toks[1], "#")}, nil
	}
	return TeamCreateSpec{}, parseErr(keyTeamCreateUsage, nil)
}

// TeamPeopleSpec is "/pulse team add|remove|managers <team> @person…".
type TeamPeopleSpec struct {
	Team string
	// People are the mentioned people's ids, in the order typed.
	People []string
}

// ParseTeamPeople reads the arguments of "/pulse team add|remove|managers":
// a team name, then one or more mentions, which may be joined as kudos
// recipients are ("@a, @b", "@a 和 @b"). Any other word is refused by
// name: a spec without people would empty the managers of a team.
func ParseTeamPeople(args string) (TeamPeopleSpec, error) {
	toks := Tokens(args)
	if len(toks) < 2 {
		return TeamPeopleSpec{}, parseErr(keyTeamPeopleUsage, nil)
	}
	spec := TeamPeopleSpec{Team: toks[0]}
	for i, tok := range toks[1:] {
		if id, ok := ParseMention(tok); ok {
			if !contains(spec.People, id) {
				spec.People = append(spec.People, id)
			}
			continue
		}
		if err := mentionErr(tok); err != nil {
			return TeamPeopleSpec{}, err
		}
		if trimSeparators(tok) == "" || (kudosJoiners[fold(tok)] && i+2 < len(toks)) {
			continue
		}
		return TeamPeopleSpec{}, parseErr(keyMentionUnknown, map[string]any{"Name": clip(trimSeparators(tok), parseQuoteMax)})
	}
	if len(spec.People) == 0 {
		return TeamPeopleSpec{}, parseErr(keyTeamPeopleUsage, nil)
	}
	return spec, nil
}

// TeamSetSpec is "/pulse team set <team> <setting> <value>".
type TeamSetSpec struct {
	Team string
	// Key is the setting's English name, whichever language it was typed in.
	Key   string
	Value string
}

// teamSetKeys maps each spelling of a setting, in English and Chinese, to
// the setting.
var teamSetKeys = map[string]string{
	"timezone": "timezone", "时区": "timezone",
	"language": "language", "语言": "language",
	"checkin": "checkin", "周报": "checkin",
	"digest": "digest", "摘要": "digest",
	"questions": "questions", "问题": "questions",
	"allowance": "allowance", "额度": "allowance",
	"values": "values", "价值观": "values",
	"holidays": "holidays", "节假日": "holidays",
	"leaderboard": "leaderboard", "排行榜": "leaderboard",
	"announce_kudos": "announce_kudos", "点赞公告": "announce_kudos",
}

// ParseTeamSet reads the arguments of "/pulse team set": the value is the
// rest of the text as typed (a question list keeps its spaces).
func ParseTeamSet(args string) (TeamSetSpec, error) {
	words := Words(args)
	if len(words) < 3 {
		return TeamSetSpec{}, parseErr(keyTeamSetUsage, nil)
	}
	key, ok := teamSetKeys[fold(words[1].Text)]
	if !ok {
		return TeamSetSpec{}, parseErr(keyTeamSetUsage, nil)
	}
	return TeamSetSpec{Team: words[0].Text, Key: key, Value: strings.TrimSpace(args[words[2].Start:])}, nil
}

var weekdays = map[string]string{
	"mon": "MON", "monday": "MON", "周一": "MON", "星期一": "MON",
	"tue": "TUE", "tuesday": "TUE", "周二": "TUE", "星期二": "TUE",
	"wed": "WED", "wednesday": "WED", "周三": "WED", "星期三": "WED",
	"thu": "THU", "thursday": "THU", "周四": "THU", "星期四": "THU",
	"fri": "FRI", "friday": "FRI", "周五": "FRI", "星期五": "FRI",
	"sat": "SAT", "saturday": "SAT", "周六": "SAT", "星期六": "SAT",
	"sun": "SUN", "sunday": "SUN", "周日": "SUN", "星期日": "SUN", "星期天": "SUN",
}

// Schedule reads a team schedule: "<weekday> HH:MM" ("fri 16:00", "周五
// 16:00", full-width "周五 １６：００" too) becomes its cron expression and weekly is true; anything else
// comes back with its spaces tidied, for the caller to check as a
// five-field cron expression.
func Schedule(value string) (expr string, weekly bool) {
	f := strings.Fields(value)
	if len(f) == 2 {
		if day, ok := weekdays[fold(f[0])]; ok {
			var h, m int
			if _, err := fmt.Sscanf(fold(f[1]), "%d:%d", &h, &m); err == nil && h >= 0 && h < 24 && m >= 0 && m < 60 {
				return fmt.Sprintf("%d %d * * %s", m, h, day), true
			}
		}
	}
	return strings.Join(f, " "), false
}

package parse

import "strings"

// The grammars of "/goal list", "/goal done|drop" and "/goal edit".

// GoalListSpec is "/goal list [mine | @person | team <name>]". Both fields
// empty means the asker's own goals.
type GoalListSpec struct {
	Team   string
	Person string
}

// ParseGoalList reads the arguments of "/goal list".
func ParseGoalList(args string) (GoalListSpec, error) {
	toks := Tokens(args)
	switch {
	case len(toks) == 0 || (len(toks) == 1 && (fold(toks[0]) == "mine" || toks[0] == "我的")):
		return GoalListSpec{}, nil
	case len(toks) >= 2 && isTeamWord(toks[0]):
		return GoalListSpec{Team: strings.Join(toks[1:], " ")}, nil
	case len(toks) == 1:
		if id, ok := ParseMention(toks[0]); ok {
			return GoalListSpec{Person: id}, nil
		}
		if err := mentionErr(toks[0]); err != nil {
			return GoalListSpec{}, err
		}
	}
	return GoalListSpec{}, parseErr(keyGoalListUsage, nil)
}

// GoalCloseSpec is "/goal done|drop G7 [note]".
type GoalCloseSpec struct {
	ID   string
	Note string
}

// ParseGoalClose reads the arguments of "/goal done" and "/goal drop".
func ParseGoalClose(args string) (GoalCloseSpec, error) {
	words := Words(args)
	if len(words) == 0 {
		return GoalCloseSpec{}, parseErr(keyGoalCloseUsage, nil)
	}
	id, ok := GoalID(words[0].Text)
	if !ok {
		return GoalCloseSpec{}, parseErr(keyGoalCloseUsage, nil)
	}
	return GoalCloseSpec{ID: id, Note: strings.TrimSpace(args[words[0].End:])}, nil
}

// GoalEditSpec is "/goal edit G7 <field> <value>".
type GoalEditSpec struct {
	ID string
	// Field is the field's English name (title, target, baseline, due,
	// private, parent, source), whichever language it was typed in; Typed
	// is the word as typed, for replies.
	Field, Typed string
	// Value is the text after the field, as typed; Tokens are its words.
	Value  string
	Tokens []string
}

// goalEditFields maps each spelling of an editable field to its name.
var goalEditFields = map[string]string{
	"title": "title", "标题": "title",
	"target": "target", "目标值": "target", "目标": "target",
	"baseline": "baseline", "基线": "baseline",
	"due": "due", "截止": "due",
	"private": "private", "私密": "private",
	"parent": "parent", "上级": "parent",
	"source": "source", "来源": "source", "数据源": "source",
}

// ParseGoalEdit reads the arguments of "/goal edit".
func ParseGoalEdit(args string) (GoalEditSpec, error) {
	words := Words(args)
	if len(words) < 3 {
		return GoalEditSpec{}, parseErr(keyGoalEditUsage, nil)
	}
	id, ok := GoalID(words[0].Text)
	if !ok {
		return GoalEditSpec{}, parseErr(keyGoalEditUsage, nil)
	}
	field, ok := goalEditFields[fold(words[1].Text)]
	if !ok {
		return GoalEditSpec{}, parseErr(keyGoalEditUsage, nil)
	}
	spec := GoalEditSpec{ID: id, Field: field, Typed: words[1].Text, Value: strings.TrimSpace(args[words[2].Start:])}
	for _, w := range words[2:] {
		spec.Tokens = append(spec.Tokens, w.Text)
	}
	return spec, nil
}

// TargetEditSpec is what follows "target" in "/goal edit G7 target <value>
// [from <value>]" (从).
type TargetEditSpec struct {
	Target Value
	// From is the new baseline; HasFrom says whether one was typed.
	From    Value
	HasFrom bool
}

// ParseTargetEdit reads the words after "target". ok is false when words
// follow that are not "from <value>" (the core names the command's usage);
// err is a value that cannot be read.
func ParseTargetEdit(toks []string) (spec TargetEditSpec, ok bool, err error) {
	target, used, err := ParseValueWithUnit(toks)
	if err != nil {
		return spec, false, err
	}
	spec.Target = target
	rest := toks[used:]
	switch {
	case len(rest) == 0:
		return spec, true, nil
	case len(rest) >= 2 && (fold(rest[0]) == "from" || rest[0] == "从"):
		base, n, err := ParseValueWithUnit(rest[1:])
		if err != nil {
			return spec, false, err
		}
		if n != len(rest)-1 {
			return spec, false, nil
		}
		spec.From, spec.HasFrom = base, true
		return spec, true, nil
	}
	return spec, false, nil
}

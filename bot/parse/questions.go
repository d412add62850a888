package parse

import "strings"

// The grammar of check-in questions with roles, the value of
// "/pulse team set <team> questions …":
//
//	What did you ship? [highlight] | Who helped you? | Anything in your way? [blockers]
//	做成了什么？【亮点】｜谁帮了你？｜有什么阻碍？【阻碍】
//
// Questions are separated by "|" (or "｜"). A role tag in square brackets
// ([…], ［…］ or 【…】) at the start or the end of a question marks it:
// [highlight] / [亮点] and [blockers] / [阻碍]. An item [no blockers] /
// [无阻碍] (or [no highlight] / [无亮点]) says that no question has that
// role. An unmarked role keeps its default, which the core applies.

// Question roles as the grammar names them.
const (
	RoleHighlight = "highlight"
	RoleBlockers  = "blockers"
)

// NoQuestion in QuestionsSpec.Highlight or Blockers marks that no question has the role.
const NoQuestion = -1

// QuestionsSpec is a list of check-in questions with their marked roles.
type QuestionsSpec struct {
	// Questions are the questions' texts without their tags.
	Questions []string
	// Highlight and Blockers are the marked questions' numbers (1-based),
	// 0 when the role is not marked, NoQuestion when marked as none.
	Highlight, Blockers int
}

// Reasons a question list is refused; the core says each in one sentence.
const (
	// QuestionsRoleTwice: two questions marked with one role, or a role
	// marked on a question and as none.
	QuestionsRoleTwice = "role_twice"
	// QuestionsRoleAlone: a role tag with no question beside it.
	QuestionsRoleAlone = "role_alone"
	// QuestionsBothRoles: one question marked with both roles.
	QuestionsBothRoles = "both_roles"
	// QuestionsTagInside: a role tag inside a question's text, most
	// likely a missing "|" before or after it.
	QuestionsTagInside = "tag_inside"
)

// QuestionsRefusal says why a question list was refused and which role it concerns.
type QuestionsRefusal struct {
	Reason string
	Role   string
}

// roleTags maps each spelling of a tag (folded, inside its brackets) to
// its role and whether it marks the role as none.
var roleTags = map[string]struct {
	role string
	none bool
}{
	"highlight": {RoleHighlight, false}, "highlights": {RoleHighlight, false}, "亮点": {RoleHighlight, false},
	"blockers": {RoleBlockers, false}, "blocker": {RoleBlockers, false}, "阻碍": {RoleBlockers, false},
	"no highlight": {RoleHighlight, true}, "no highlights": {RoleHighlight, true}, "无亮点": {RoleHighlight, true},
	"no blockers": {RoleBlockers, true}, "no blocker": {RoleBlockers, true}, "无阻碍": {RoleBlockers, true},
}

// ParseQuestions reads a question list with role tags. ok is false with
// an empty list (the core refuses it with its usage sentence); a refusal
// is returned for an ambiguous marking.
func ParseQuestions(s string) (spec QuestionsSpec, refusal *QuestionsRefusal, ok bool) {
	for _, item := range QuestionList(s) {
		text, tags := cutRoleTags(item)
		if role, inside := tagInside(text); inside {
			return QuestionsSpec{}, &QuestionsRefusal{Reason: QuestionsTagInside, Role: role}, false
		}
		if r := spec.add(text, tags); r != nil {
			return QuestionsSpec{}, r, false
		}
	}
	return spec, nil, len(spec.Questions) > 0
}

// add records one item: a question with its tags, or a "none" marking.
func (spec *QuestionsSpec) add(text string, tags []string) *QuestionsRefusal {
	var roles []string
	for _, t := range tags {
		tag := roleTags[t]
		if tag.none {
			if spec.role(tag.role) != 0 {
				return &QuestionsRefusal{Reason: QuestionsRoleTwice, Role: tag.role}
			}
			spec.setRole(tag.role, NoQuestion)
			continue
		}
		if text == "" {
			return &QuestionsRefusal{Reason: QuestionsRoleAlone, Role: tag.role}
		}
		if len(roles) > 0 && roles[0] != tag.role {
			return &QuestionsRefusal{Reason: QuestionsBothRoles, Role: tag.role}
		}
		roles = append(roles, tag.role)
	}
	if text == "" {
		return nil
	}
	spec.Questions = append(spec.Questions, text)
	for _, role := range roles {
		if n := spec.role(role); n != 0 && n != len(spec.Questions) {
			return &QuestionsRefusal{Reason: QuestionsRoleTwice, Role: role}
		}
		spec.setRole(role, len(spec.Questions))
	}
	return nil
}

func (spec *QuestionsSpec) role(role string) int {
	if role == RoleHighlight {
		return spec.Highlight
	}
	return spec.Blockers
}

func (spec *QuestionsSpec) setRole(role string, n int) {
	if role == RoleHighlight {
		spec.Highlight = n
	} else {
		spec.Blockers = n
	}
}

// cutRoleTags takes the role tags off the start and the end of one item;
// a bracketed word that is no role tag stays part of the question.
func cutRoleTags(item string) (string, []string) {
	var tags []string
	text := strings.TrimSpace(item)
	for {
		tag, rest, ok := leadingTag(text)
		if !ok {
			break
		}
		tags, text = append(tags, tag), rest
	}
	for {
		tag, rest, ok := trailingTag(text)
		if !ok {
			break
		}
		tags, text = append(tags, tag), rest
	}
	return text, tags
}

// tagBrackets are the bracket pairs a tag may be written in.
var tagBrackets = [][2]string{{"[", "]"}, {"［", "］"}, {"【", "】"}}

func leadingTag(text string) (tag, rest string, ok bool) {
	for _, b := range tagBrackets {
		inner, after, found := strings.Cut(strings.TrimPrefix(text, b[0]), b[1])
		if !strings.HasPrefix(text, b[0]) || !found {
			continue
		}
		if t := tagName(inner); t != "" {
			return t, strings.TrimSpace(after), true
		}
	}
	return "", text, false
}

func trailingTag(text string) (tag, rest string, ok bool) {
	for _, b := range tagBrackets {
		if !strings.HasSuffix(text, b[1]) {
			continue
		}
		body := strings.TrimSuffix(text, b[1])
		i := strings.LastIndex(body, b[0])
		if i < 0 {
			continue
		}
		if t := tagName(body[i+len(b[0]):]); t != "" {
			return t, strings.TrimSpace(body[:i]), true
		}
	}
	return "", text, false
}

// tagName is the folded tag inside brackets, or "" when it is no role tag.
func tagName(inner string) string {
	t := strings.Join(strings.Fields(fold(inner)), " ")
	if _, ok := roleTags[t]; ok {
		return t
	}
	return ""
}

// tagInside finds a role tag left inside a question's text once the tags
// at its ends are cut, and returns its role.
func tagInside(text string) (role string, found bool) {
	for _, b := range tagBrackets {
		rest := text
		for {
			i := strings.Index(rest, b[0])
			if i < 0 {
				break
			}
			inner, after, closed := strings.Cut(rest[i+len(b[0]):], b[1])
			if !closed {
				break
			}
			if t := tagName(inner); t != "" {
				return roleTags[t].role, true
			}
			rest = after
		}
	}
	return "", false
}

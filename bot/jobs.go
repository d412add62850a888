package bot

import "time"

// Job names a scheduled job. The scheduler decides when a job fires; the
// service decides what it does.
type Job string

// The scheduled jobs of SPEC.md.
const (
	JobCheckInPrompt   Job = "checkin-prompt"
	JobCheckInRemind   Job = "checkin-remind"
	JobCheckInSummary  Job = "checkin-summary"
	JobScorecardDigest Job = "scorecard-digest"
	JobGoalNudge       Job = "goal-nudge"
	// The feedback and review jobs run daily; each delivery's key makes
	// every reminder go out once.
	JobFeedbackRemind Job = "feedback-remind"
	JobReviewRemind   Job = "review-remind"
	JobActionNudge    Job = "action-nudge"
)

// Jobs lists every job, in the order a week runs them.
var Jobs = []Job{JobCheckInPrompt, JobCheckInRemind, JobCheckInSummary, JobScorecardDigest, JobGoalNudge,
	JobFeedbackRemind, JobReviewRemind, JobActionNudge}

// ParseJob reads a job name.
func ParseJob(s string) (Job, bool) {
	for _, j := range Jobs {
		if string(j) == s {
			return j, true
		}
	}
	return "", false
}

// JobRequest asks for one run of a job for one team.
type JobRequest struct {
	Job    Job
	TeamID string
	// At is the run's fire time; the period (ISO week) is taken from it in the team's zone.
	At time.Time
	// People limits the run to these people (the scheduler fires per-person
	// time zones separately); nil means the whole team.
	People []UserID
}

// Delivery is one message a job sends, with the idempotency key that makes
// sending it twice harmless.
type Delivery struct {
	Key    string
	Job    Job
	TeamID string
	Period string
	// Person is the recipient of a direct message; empty for a channel post.
	Person UserID
	To     Address
	Msg    Message
	// Thread, when set, lists messages to post as replies under the first
	// one (the check-in summary's per-person answers).
	Thread []Message
	// File, when set, is sent after Msg to the same address (the digest's
	// chart). It rides in the scheduler's queue entry, so it is kept small:
	// a chart PNG, not an export.
	File *File `json:",omitempty"`
}

package bot

import (
	"context"
	"time"
)

// Feedback is one piece of feedback about a person: given any time with
// `/feedback give`, or an answer to a feedback request. The JSON names are
// the export's (and the store's) field names.
type Feedback struct {
	ID     string   `json:"id"`
	TeamID string   `json:"team"`
	From   UserID   `json:"from"`
	To     UserID   `json:"to"`
	Text   string   `json:"text"`
	Values []string `json:"values,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	// RequestID is set when the feedback answers a request ("FR3").
	RequestID string `json:"request,omitempty"`
	// Anonymous answers are never shown with From, and only once
	// AnonymityFloor answers to the same request exist.
	Anonymous bool      `json:"anonymous,omitempty"`
	At        time.Time `json:"at"`
	Key       string    `json:"key,omitempty"`
}

// FeedbackRequest asks colleagues for feedback on the requester.
type FeedbackRequest struct {
	// ID is what the asked type to answer: "FR3".
	ID        string    `json:"id"`
	TeamID    string    `json:"team"`
	From      UserID    `json:"from"`
	Asked     []UserID  `json:"asked"`
	Topic     string    `json:"topic,omitempty"`
	Anonymous bool      `json:"anonymous,omitempty"`
	Due       time.Time `json:"due"`
	At        time.Time `json:"at"`
	// Closed is set when the request can no longer be answered before its
	// due date: /pulse forget me left an anonymous request with fewer
	// colleagues than AnonymityFloor, so its answers can never be shown.
	Closed time.Time `json:"closed,omitzero"`
}

// ReviewCycle is one team's round of self, peer and manager reviews.
type ReviewCycle struct {
	// ID is "C<n>", counted per team.
	ID     string `json:"id"`
	TeamID string `json:"team"`
	Title  string `json:"title"`
	// PeriodFrom starts the period the evidence pack covers: the previous
	// cycle's due date, or a quarter before the start.
	PeriodFrom time.Time `json:"period_from"`
	Due        time.Time `json:"due"`
	// Peers is how many peers each person may nominate.
	Peers int `json:"peers"`
	// Anonymous cycles show peers' answers to the person without names, and
	// only when at least AnonymityFloor peers answered.
	Anonymous bool `json:"anonymous,omitempty"`
	// Questions are the written questions when the team replaced the
	// template; empty means the default questions in the reader's language.
	Questions []string `json:"questions,omitempty"`
	// Values are the company values rated 1–5, fixed at the start.
	Values    []string  `json:"values,omitempty"`
	StartedBy UserID    `json:"started_by"`
	At        time.Time `json:"at"`
	// Closed is set when the last person's results were released, or a
	// manager closed the cycle (/review close).
	Closed time.Time `json:"closed,omitzero"`
	// Cancelled is set when a manager cancelled the cycle before any
	// result was released (/review cancel).
	Cancelled time.Time `json:"cancelled,omitzero"`
}

// ReviewSheet is one person's place in a cycle: nominations, approved
// peers, and whether the results were released.
type ReviewSheet struct {
	CycleID    string    `json:"cycle"`
	TeamID     string    `json:"team"`
	Person     UserID    `json:"person"`
	Nominated  []UserID  `json:"nominated,omitempty"`
	Peers      []UserID  `json:"peers,omitempty"`
	ApprovedBy UserID    `json:"approved_by,omitempty"`
	Approved   time.Time `json:"approved,omitzero"`
	Released   time.Time `json:"released,omitzero"`
	ReleasedBy UserID    `json:"released_by,omitempty"`
	// Version guards against two people changing the sheet at once; the
	// store bumps it on every save and refuses a stale one with ErrConflict.
	Version int `json:"version"`
}

// Review roles: who wrote an answer sheet about the subject.
const (
	RoleSelf    = "self"
	RolePeer    = "peer"
	RoleManager = "manager"
)

// ReviewAnswers is what one author wrote about one subject in one cycle.
type ReviewAnswers struct {
	CycleID string `json:"cycle"`
	TeamID  string `json:"team"`
	Subject UserID `json:"subject"`
	Role    string `json:"role"`
	Author  UserID `json:"author"`
	// Answers holds one answer per written question, in order.
	Answers []string `json:"answers"`
	// Ratings maps a company value to its 1–5 rating.
	Ratings   map[string]int `json:"ratings,omitempty"`
	Submitted time.Time      `json:"submitted,omitzero"`
	UpdatedAt time.Time      `json:"updated"`
}

// Done reports whether the author submitted.
func (a ReviewAnswers) Done() bool { return !a.Submitted.IsZero() }

// DevAction is a development action agreed in a review meeting.
type DevAction struct {
	// ID is "A<n>", counted per team.
	ID     string    `json:"id"`
	TeamID string    `json:"team"`
	Person UserID    `json:"person"`
	Text   string    `json:"text"`
	Due    time.Time `json:"due"`
	By     UserID    `json:"by"`
	At     time.Time `json:"at"`
	Done   time.Time `json:"done,omitzero"`
}

// ReviewFlag marks a person's check-in of one week for the next review meeting.
type ReviewFlag struct {
	TeamID string    `json:"team"`
	Person UserID    `json:"person"`
	Period string    `json:"period"`
	Note   string    `json:"note,omitempty"`
	By     UserID    `json:"by"`
	At     time.Time `json:"at"`
}

// Feedback visibility settings of a team.
const (
	// VisibilityPerson shows direct feedback to its recipient only.
	VisibilityPerson = "person"
	// VisibilityManagers also shows it to the recipient's managers (default).
	VisibilityManagers = "person+managers"
)

// ReviewSettings are a team's feedback and review settings, kept apart from
// the Team record so the review feature owns them.
type ReviewSettings struct {
	// FeedbackVisibility is VisibilityPerson or VisibilityManagers; empty
	// means VisibilityManagers.
	FeedbackVisibility string `json:"feedback_visibility,omitempty"`
	// Questions replace the default written review questions when not empty.
	Questions []string `json:"review_questions,omitempty"`
}

// ReviewStore keeps feedback, review cycles, development actions and flags.
// Every write appends its audit entry in the same atomic step; a write whose
// audit entry carries a Key is stored once per key (ErrDuplicate after).
type ReviewStore interface {
	ReviewSettings(ctx context.Context, teamID string) (ReviewSettings, error)
	SaveReviewSettings(ctx context.Context, teamID string, rs ReviewSettings, a AuditEntry) error

	// SaveFeedback stores new feedback and gives it an id ("F<n>"). An
	// answer to a request (RequestID set) is stored once per answerer:
	// a second answer returns ErrConflict.
	SaveFeedback(ctx context.Context, f Feedback, a AuditEntry) (Feedback, error)
	// TeamFeedback returns feedback with from <= At < to, oldest first.
	TeamFeedback(ctx context.Context, teamID string, from, to time.Time) ([]Feedback, error)
	// CreateFeedbackRequest stores a request under a new global id ("FR<n>").
	CreateFeedbackRequest(ctx context.Context, q FeedbackRequest, a AuditEntry) (FeedbackRequest, error)
	// GetFeedbackRequest finds a request by id in any team, or ErrNotFound.
	GetFeedbackRequest(ctx context.Context, id string) (FeedbackRequest, error)
	TeamFeedbackRequests(ctx context.Context, teamID string) ([]FeedbackRequest, error)
	// RequestAnswers returns the answers to a request, oldest first.
	RequestAnswers(ctx context.Context, teamID, requestID string) ([]Feedback, error)

	// CreateReviewCycle stores a cycle under the team's next id ("C<n>")
	// with a sheet for each person, in one step.
	CreateReviewCycle(ctx context.Context, c ReviewCycle, people []UserID, a AuditEntry) (ReviewCycle, error)
	SaveReviewCycle(ctx context.Context, c ReviewCycle, a AuditEntry) error
	// ReviewCycles returns the team's cycles, oldest first.
	ReviewCycles(ctx context.Context, teamID string) ([]ReviewCycle, error)
	ReviewSheets(ctx context.Context, teamID, cycleID string) ([]ReviewSheet, error)
	GetReviewSheet(ctx context.Context, teamID, cycleID string, person UserID) (ReviewSheet, error)
	// SaveReviewSheet stores the sheet if its Version is still the stored
	// one (ErrConflict otherwise) and returns it with the new version.
	SaveReviewSheet(ctx context.Context, sh ReviewSheet, a AuditEntry) (ReviewSheet, error)
	// CycleAnswers returns every answer sheet of a cycle.
	CycleAnswers(ctx context.Context, teamID, cycleID string) ([]ReviewAnswers, error)
	// SaveReviewAnswers stores one author's answers about one subject.
	SaveReviewAnswers(ctx context.Context, ans ReviewAnswers, a AuditEntry) error

	// SaveDevAction stores an action, giving a new one an id ("A<n>").
	SaveDevAction(ctx context.Context, x DevAction, a AuditEntry) (DevAction, error)
	DevActions(ctx context.Context, teamID string) ([]DevAction, error)
	SaveReviewFlag(ctx context.Context, f ReviewFlag, a AuditEntry) error
	ReviewFlags(ctx context.Context, teamID string) ([]ReviewFlag, error)
}

package bot

import (
	"slices"
	"time"
)

// The transitions /pulse forget me makes on the records of others. The
// store deletes what is the forgotten person's own and rewrites the rest
// through these functions, inside its transaction, so a forget re-counts
// or closes exactly as the transition tables would.

// SheetWithout takes the person off another person's sheet: out of the
// nominations and approved peers, and as approver or releaser. When an
// anonymous cycle's sheet is left with fewer approved peers than
// AnonymityFloor before release, its approval reopens: the peers' answers
// could never be shown, so the manager approves again (and is reminded).
// The sheet gets a new version, so an edit read before the forget is
// refused as stale.
func SheetWithout(c ReviewCycle, sh ReviewSheet, id UserID) ReviewSheet {
	without := func(list []UserID) []UserID {
		return slices.DeleteFunc(slices.Clone(list), func(u UserID) bool { return u == id })
	}
	wasPeer := slices.Contains(sh.Peers, id)
	sh.Nominated, sh.Peers = without(sh.Nominated), without(sh.Peers)
	if sh.ApprovedBy == id {
		sh.ApprovedBy = ""
	}
	if sh.ReleasedBy == id {
		sh.ReleasedBy = ""
	}
	if wasPeer && c.Anonymous && sh.Released.IsZero() && len(sh.Peers) < AnonymityFloor {
		sh.Approved, sh.ApprovedBy = time.Time{}, ""
	}
	sh.Version++
	return sh
}

// CycleAfterForget closes an open cycle once every sheet left in it is
// released (or none is left): the forgotten person's sheet was the last
// one waiting, and the cycle table closes a cycle whose results are all out.
func CycleAfterForget(c ReviewCycle, left []ReviewSheet, at time.Time) (ReviewCycle, bool) {
	if c.State() != CycleOpen {
		return c, false
	}
	for _, sh := range left {
		if sh.Released.IsZero() {
			return c, false
		}
	}
	c.Closed = at
	return c, true
}

// RequestWithout takes the person off a request that asked them. An
// anonymous request left with fewer colleagues than AnonymityFloor closes:
// its answers could never be shown, so nobody is asked or reminded any more.
func RequestWithout(q FeedbackRequest, id UserID, at time.Time) FeedbackRequest {
	q.Asked = slices.DeleteFunc(slices.Clone(q.Asked), func(u UserID) bool { return u == id })
	if q.Anonymous && len(q.Asked) < AnonymityFloor && q.Closed.IsZero() {
		q.Closed = at
	}
	return q
}

// RequestState is where a feedback request is in its life.
type RequestState string

// The states of a feedback request.
const (
	RequestOpen RequestState = "open"
	// RequestExpired is past its due date.
	RequestExpired RequestState = "expired"
	// RequestClosed was closed by a forget (see RequestWithout).
	RequestClosed RequestState = "closed"
)

// StateAt is the request's state at a moment.
func (q FeedbackRequest) StateAt(now time.Time) RequestState {
	switch {
	case !q.Closed.IsZero():
		return RequestClosed
	case !now.Before(q.Due):
		return RequestExpired
	}
	return RequestOpen
}

// RequestAction is something a command or reminder does to a request for
// one colleague.
type RequestAction string

// The actions on a request.
const (
	ActAnswerRequest RequestAction = "answer"
	ActRemindRequest RequestAction = "remind"
)

// RequestTransitions is the one table of what may happen to a request:
// the states an action is allowed in. Both also need the colleague asked
// and not yet answered (requestAllows).
var RequestTransitions = map[RequestAction][]RequestState{
	ActAnswerRequest: {RequestOpen},
	ActRemindRequest: {RequestOpen},
}

// requestVerdict says why the table refused, or OK.
type requestVerdict struct {
	OK                 bool
	State              RequestState
	NotAsked, Answered bool
}

// requestAllows asks the request table about one colleague.
func requestAllows(act RequestAction, state RequestState, asked, answered bool) requestVerdict {
	switch {
	case !asked:
		return requestVerdict{NotAsked: true, State: state}
	case !slices.Contains(RequestTransitions[act], state):
		return requestVerdict{State: state}
	case answered:
		return requestVerdict{Answered: true, State: state}
	}
	return requestVerdict{OK: true, State: state}
}

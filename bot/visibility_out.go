package bot

import (
	"context"
	"fmt"
)

// Reminders and nudges are ways out too: before one is planned, its
// recipient is asked as a Viewer whether they may read the record it names,
// so a reminder never reaches someone who has left the team or the
// organisation since, and never names what they may not see.

// mayRead asks the visibility model whether the person may read a record.
func (s *Service) mayRead(ctx context.Context, id UserID, can func(Viewer) bool) (bool, error) {
	v, err := s.ViewerOf(ctx, id)
	if err != nil {
		return false, fmt.Errorf("may %s read: %w", id, err)
	}
	return can(v), nil
}

// reviewTaskVisible reports whether v may read what a review reminder's
// task names: their own sheet, the peer review they write, or (approvals
// and manager reviews) the cycle's progress.
func reviewTaskVisible(v Viewer, c ReviewCycle, t reviewTask) bool {
	switch t.key {
	case "review_task_self", "review_task_nominate":
		return CanSeeReviewSheet(v, ReviewSheet{CycleID: c.ID, TeamID: c.TeamID, Person: v.ID})
	case "review_task_peer":
		return CanSeeReviewAnswers(v, c, ReviewAnswers{CycleID: c.ID, TeamID: c.TeamID, Subject: t.about, Role: RolePeer, Author: v.ID}, ReviewSheet{})
	}
	return CanSeeReviewCycle(v, c)
}

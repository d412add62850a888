package api

import (
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// The JSON the API answers with; openapi.json describes the same shapes.

type goalJSON struct {
	ID        string  `json:"id"`
	Team      string  `json:"team"`
	Title     string  `json:"title"`
	Unit      string  `json:"unit"`
	Milestone bool    `json:"milestone"`
	Baseline  float64 `json:"baseline"`
	Target    float64 `json:"target"`
	Current   float64 `json:"current"`
	// Progress, Pace and Status are the figures every view shows (bot/figures.go).
	Progress float64  `json:"progress"`
	Pace     *float64 `json:"pace,omitempty"`
	Status   string   `json:"status"`
	Stated   string   `json:"stated,omitempty"`
	State    string   `json:"state"`
	Due      string   `json:"due,omitempty"`
	Source   string   `json:"source,omitempty"`
	// LastSource is where the latest update came from, when it was fed.
	LastSource string       `json:"last_source,omitempty"`
	UpdatedAt  time.Time    `json:"updated_at"`
	Updates    []updateJSON `json:"updates,omitempty"`
}

type updateJSON struct {
	Value    float64   `json:"value"`
	Previous float64   `json:"previous"`
	At       time.Time `json:"at"`
	Status   string    `json:"status,omitempty"`
	Note     string    `json:"note,omitempty"`
	Source   string    `json:"source,omitempty"`
}

type progressReply struct {
	Goal     goalJSON   `json:"goal"`
	Update   updateJSON `json:"update"`
	Replayed bool       `json:"replayed"`
}

type teamGoalsReply struct {
	Team  string     `json:"team"`
	Goals []goalJSON `json:"goals"`
}

func goalOf(fg bot.FedGoal) goalJSON {
	g, f := fg.Goal, fg.Figures
	out := goalJSON{
		ID: g.ID, Team: g.TeamID, Title: g.Title, Unit: g.Metric.Unit, Milestone: g.Metric.Milestone,
		Baseline: g.Metric.Baseline, Target: g.Metric.Target, Current: g.Current,
		Progress: f.Progress, Status: string(f.Status), Stated: string(g.Stated), State: string(g.State),
		Source: g.Source, UpdatedAt: g.UpdatedAt.UTC(),
	}
	if f.HasPace {
		pace := f.Pace
		out.Pace = &pace
	}
	if !g.Due.IsZero() {
		out.Due = g.Due.Format(time.DateOnly)
	}
	for _, u := range fg.Updates {
		out.Updates = append(out.Updates, updateOf(u))
		out.LastSource = u.Via
	}
	return out
}

func updateOf(u bot.Update) updateJSON {
	return updateJSON{Value: u.Value, Previous: u.Previous, At: u.At.UTC(), Status: string(u.Stated), Note: u.Note, Source: u.Via}
}

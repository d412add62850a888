package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// GetPerson returns the person's profile or bot.ErrNotFound.
func (s *Store) GetPerson(ctx context.Context, id bot.UserID) (bot.Person, error) {
	data, err := s.rdb.Get(ctx, s.personKey(id)).Result()
	if isNil(err) {
		return bot.Person{}, fmt.Errorf("get person %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return bot.Person{}, fmt.Errorf("get person %s: %w", id, err)
	}
	return decodePerson(id, data)
}

// Membership reads the person, their team index and the teams the index
// held last time (personTeams) in one pipeline: one round trip where
// GetPerson and TeamsOf take three. The index read in that pipeline
// decides; when it names other teams than guessed, they are read in a
// second round trip.
func (s *Store) Membership(ctx context.Context, id bot.UserID) (bot.Membership, error) {
	return s.membership(ctx, id, nil)
}

// MembershipWithGoal is Membership with the goal's hash read in the same
// pipeline when this process already knows the goal's team (goalTeams):
// a chat update then reads its sender, their teams and its goal in one
// round trip. The goal's key is in its team's slot, not the person's; on
// a Cluster go-redis sends each node its part of the pipeline. A goal
// whose team this process has not seen is left unread (GoalRead.Done is
// false): finding its team is a round trip of its own, which GetGoal
// makes when the goal is needed.
func (s *Store) MembershipWithGoal(ctx context.Context, id bot.UserID, goalID string) (bot.Membership, bot.GoalRead, error) {
	team, known := s.goalTeams.Load(goalID)
	if !known {
		m, err := s.membership(ctx, id, nil)
		return m, bot.GoalRead{}, err
	}
	teamID := team.(string)
	var goal *redis.MapStringStringCmd
	m, err := s.membership(ctx, id, func(p redis.Pipeliner) redis.Cmder {
		goal = p.HGetAll(ctx, s.goalKey(teamID, goalID))
		return goal
	})
	if err != nil {
		return bot.Membership{}, bot.GoalRead{}, err
	}
	g, err := goalFromHash(teamID, goalID, goal)
	return m, bot.GoalRead{Done: true, Goal: g, Err: err}, nil
}

// membership is Membership with the command also queues added to its
// pipeline. Only Membership's own commands decide its error: the caller
// reads the added command's reply, failed or not.
func (s *Store) membership(ctx context.Context, id bot.UserID, also func(redis.Pipeliner) redis.Cmder) (bot.Membership, error) {
	var ids *redis.StringSliceCmd
	var person *redis.StringCmd
	var extra redis.Cmder
	guess, _ := s.personTeams.Load(id)
	guessed, _ := guess.([]string)
	teams := make([]*redis.StringCmd, len(guessed))
	err := s.shared.Pipelined(ctx, s.rdb, func(p redis.Pipeliner) {
		ids = p.SMembers(ctx, s.personTeamsKey(id))
		person = p.Get(ctx, s.personKey(id))
		for i, t := range guessed {
			teams[i] = p.Get(ctx, s.teamInfoKey(t))
		}
		if also != nil {
			extra = also(p)
		}
	})
	if err != nil && (ctx.Err() != nil || ids == nil) {
		// Given up (a batch may still be writing the replies) or never queued.
		return bot.Membership{}, fmt.Errorf("membership of %s: %w", id, err)
	}
	if err := firstFailure(ids, person, teams); err != nil {
		return bot.Membership{}, fmt.Errorf("membership of %s: %w", id, err)
	}
	if err != nil && !isNil(err) && (extra == nil || extra.Err() == nil) {
		// The pipeline failed without a reply of its own saying so.
		return bot.Membership{}, fmt.Errorf("membership of %s: %w", id, err)
	}
	var m bot.Membership
	switch data, err := person.Result(); {
	case isNil(err):
	case err != nil:
		return bot.Membership{}, fmt.Errorf("get person %s: %w", id, err)
	default:
		if m.Person, err = decodePerson(id, data); err != nil {
			return bot.Membership{}, err
		}
		m.Known = true
	}
	if m.Teams, err = s.teamsOfIndex(ctx, id, ids.Val(), guessed, teams); err != nil {
		return bot.Membership{}, err
	}
	return m, nil
}

// firstFailure is the first error among Membership's replies, in the order
// Pipelined would report it; a missing key (redis.Nil) is no failure.
func firstFailure(ids *redis.StringSliceCmd, person *redis.StringCmd, teams []*redis.StringCmd) error {
	cmds := make([]redis.Cmder, 0, 2+len(teams))
	cmds = append(cmds, ids, person)
	for _, t := range teams {
		cmds = append(cmds, t)
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && !isNil(err) {
			return err
		}
	}
	return nil
}

// teamsOfIndex returns the teams of the person's index as read (ids), from
// the replies already read for the guessed ids when they are the same.
func (s *Store) teamsOfIndex(ctx context.Context, id bot.UserID, ids, guessed []string, replies []*redis.StringCmd) ([]bot.Team, error) {
	slices.Sort(ids)
	if !slices.Equal(ids, guessed) {
		s.personTeams.Store(id, ids)
		return s.teamsOfIDs(ctx, id, ids)
	}
	teams, err := s.decodeTeams(guessed, replies)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", id, err)
	}
	return memberTeams(id, teams), nil
}

// People reads the profiles in one pipeline (one round trip on a single
// server; go-redis splits it per node on a Cluster).
func (s *Store) People(ctx context.Context, ids []bot.UserID) (map[bot.UserID]bot.Person, error) {
	out := make(map[bot.UserID]bot.Person, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.personKey(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("read people: %w", err)
	}
	for i, cmd := range cmds {
		data, err := cmd.Result()
		if isNil(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read person %s: %w", ids[i], err)
		}
		p, err := decodePerson(ids[i], data)
		if err != nil {
			return nil, err
		}
		out[ids[i]] = p
	}
	return out, nil
}

// SavePerson creates or replaces the person's profile.
func (s *Store) SavePerson(ctx context.Context, p bot.Person) error {
	if p.ID == "" {
		return fmt.Errorf("save person: empty id")
	}
	data, err := encodePerson(p)
	if err != nil {
		return fmt.Errorf("save person %s: %w", p.ID, err)
	}
	if err := s.rdb.Set(ctx, s.personKey(p.ID), data, 0).Err(); err != nil {
		return fmt.Errorf("save person %s: %w", p.ID, err)
	}
	return nil
}

// Conversation returns the check-in the person is answering, or bot.ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id bot.UserID) (bot.Conversation, error) {
	data, err := s.rdb.Get(ctx, s.convKey(id)).Result()
	if isNil(err) {
		return bot.Conversation{}, fmt.Errorf("conversation of %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return bot.Conversation{}, fmt.Errorf("conversation of %s: %w", id, err)
	}
	var r convRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.Conversation{}, fmt.Errorf("decode conversation of %s: %w", id, err)
	}
	return bot.Conversation{TeamID: r.TeamID, Period: r.Period, Questions: fromQuestionRecs(r.Questions), OpenedBy: r.OpenedBy}, nil
}

// SetConversation records which check-in the person is answering.
func (s *Store) SetConversation(ctx context.Context, id bot.UserID, c bot.Conversation) error {
	data, err := encode("conversation", convRec{TeamID: c.TeamID, Period: c.Period, Questions: toQuestionRecs(c.Questions), OpenedBy: c.OpenedBy})
	if err != nil {
		return fmt.Errorf("set conversation of %s: %w", id, err)
	}
	if err := s.rdb.Set(ctx, s.convKey(id), data, 0).Err(); err != nil {
		return fmt.Errorf("set conversation of %s: %w", id, err)
	}
	return nil
}

// ClearConversation ends the person's check-in conversation; clearing none is fine.
func (s *Store) ClearConversation(ctx context.Context, id bot.UserID) error {
	if err := s.rdb.Del(ctx, s.convKey(id)).Err(); err != nil {
		return fmt.Errorf("clear conversation of %s: %w", id, err)
	}
	return nil
}

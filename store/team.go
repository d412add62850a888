package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// SaveTeam writes the team and its audit entry atomically, then the global
// indexes (team list, channel → team, each person's teams). The indexes live
// in other slots, so they are a second step; readers check membership and
// channel against the team record, so an index left behind by a crash
// between the steps is harmless, and saving the team again repairs it.
func (s *Store) SaveTeam(ctx context.Context, t bot.Team, a bot.AuditEntry) error {
	if t.ID == "" {
		return fmt.Errorf("save team: empty id")
	}
	data, err := encodeTeam(t)
	if err != nil {
		return fmt.Errorf("save team %s: %w", t.ID, err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return fmt.Errorf("save team %s: %w", t.ID, err)
	}
	oldData, err := s.scripts.saveTeam.Run(ctx, s.rdb,
		[]string{s.teamInfoKey(t.ID), s.auditKey(t.ID)}, data, entry, AuditCap).Text()
	if err != nil {
		return fmt.Errorf("save team %s: %w", t.ID, err)
	}
	var old bot.Team
	if oldData != "" {
		if old, err = decodeTeam(t.ID, oldData); err != nil {
			return fmt.Errorf("save team %s: %w", t.ID, err)
		}
	}
	if err := s.indexTeam(ctx, old, t); err != nil {
		return fmt.Errorf("save team %s: %w", t.ID, err)
	}
	return nil
}

// indexTeam brings the global indexes from the old team record to the new.
func (s *Store) indexTeam(ctx context.Context, old, t bot.Team) error {
	oldField, newField := channelField(old.Platform, old.Channel), channelField(t.Platform, t.Channel)
	if old.Channel != "" && oldField != newField {
		err := s.scripts.unindexChan.Run(ctx, s.rdb, []string{s.channelsKey()}, oldField, t.ID).Err()
		if err != nil {
			return fmt.Errorf("unindex channel %s: %w", old.Channel, err)
		}
	}
	people := t.People()
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, s.teamsKey(), t.ID)
		if t.Channel != "" {
			p.HSet(ctx, s.channelsKey(), newField, t.ID)
		}
		for _, id := range people {
			p.SAdd(ctx, s.personTeamsKey(id), t.ID)
		}
		for _, id := range old.People() {
			if !slices.Contains(people, id) {
				p.SRem(ctx, s.personTeamsKey(id), t.ID)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index team: %w", err)
	}
	return nil
}

func channelField(p bot.Platform, channel string) string { return string(p) + ":" + channel }

// GetTeam returns the team or bot.ErrNotFound.
func (s *Store) GetTeam(ctx context.Context, id string) (bot.Team, error) {
	data, err := s.rdb.Get(ctx, s.teamInfoKey(id)).Result()
	if isNil(err) {
		return bot.Team{}, fmt.Errorf("get team %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return bot.Team{}, fmt.Errorf("get team %s: %w", id, err)
	}
	return decodeTeam(id, data)
}

// ListTeams returns every team, ordered by id.
func (s *Store) ListTeams(ctx context.Context) ([]bot.Team, error) {
	ids, err := s.rdb.SMembers(ctx, s.teamsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	teams, err := s.teams(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return teams, nil
}

// TeamsOf returns the teams the person is a member or manager of, ordered
// by id. The per-person index may hold teams the person has left (see
// SaveTeam); the records decide.
func (s *Store) TeamsOf(ctx context.Context, id bot.UserID) ([]bot.Team, error) {
	ids, err := s.rdb.SMembers(ctx, s.personTeamsKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", id, err)
	}
	return s.teamsOfIDs(ctx, id, ids)
}

// teamsOfIDs reads the teams the person's index names and keeps those
// that still count them as a member or a manager.
func (s *Store) teamsOfIDs(ctx context.Context, id bot.UserID, ids []string) ([]bot.Team, error) {
	teams, err := s.teams(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", id, err)
	}
	return memberTeams(id, teams), nil
}

// memberTeams keeps the teams that count the person as a member or a
// manager (the index may name a team they left a moment ago).
func memberTeams(id bot.UserID, teams []bot.Team) []bot.Team {
	return slices.DeleteFunc(teams, func(t bot.Team) bool {
		return !t.HasMember(id) && !t.HasManager(id)
	})
}

// TeamByChannel finds the team whose channel this is, or bot.ErrNotFound.
func (s *Store) TeamByChannel(ctx context.Context, p bot.Platform, channel string) (bot.Team, error) {
	id, err := s.rdb.HGet(ctx, s.channelsKey(), channelField(p, channel)).Result()
	if isNil(err) {
		return bot.Team{}, fmt.Errorf("team by channel %s %s: %w", p, channel, bot.ErrNotFound)
	}
	if err != nil {
		return bot.Team{}, fmt.Errorf("team by channel %s %s: %w", p, channel, err)
	}
	t, err := s.GetTeam(ctx, id)
	if err != nil {
		return bot.Team{}, fmt.Errorf("team by channel %s %s: %w", p, channel, err)
	}
	if t.Platform != p || t.Channel != channel {
		return bot.Team{}, fmt.Errorf("team by channel %s %s: %w", p, channel, bot.ErrNotFound)
	}
	return t, nil
}

// teams reads team records in one pipeline, skipping ids with no record,
// ordered by id.
func (s *Store) teams(ctx context.Context, ids []string) ([]bot.Team, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.teamInfoKey(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("read teams %s: %w", strings.Join(ids, ","), err)
	}
	return s.decodeTeams(ids, cmds)
}

// decodeTeams decodes the replies of pipelined team reads, one per id,
// skipping ids with no record.
func (s *Store) decodeTeams(ids []string, cmds []*redis.StringCmd) ([]bot.Team, error) {
	out := make([]bot.Team, 0, len(ids))
	for i, cmd := range cmds {
		data, err := cmd.Result()
		if isNil(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read team %s: %w", ids[i], err)
		}
		t, err := s.decodeTeamOnce(ids[i], data)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// decodedTeam is a team record as read and what it decoded to.
type decodedTeam struct {
	data string
	team bot.Team
}

// decodeTeamOnce decodes a team record, or copies what the same record
// decoded to last time: every event reads its sender's teams, a team of
// 50 members is a few kB of JSON, and it changes rarely. The record read
// decides, so a team changed by any process is decoded afresh.
func (s *Store) decodeTeamOnce(id, data string) (bot.Team, error) {
	if v, ok := s.decodedTeams.Load(id); ok {
		if d := v.(decodedTeam); d.data == data {
			return cloneTeam(d.team), nil
		}
	}
	t, err := decodeTeam(id, data)
	if err != nil {
		return bot.Team{}, err
	}
	s.decodedTeams.Store(id, decodedTeam{data: data, team: cloneTeam(t)})
	return t, nil
}

// cloneTeam copies t with slices of its own, so a caller changing the copy
// leaves the remembered team alone.
func cloneTeam(t bot.Team) bot.Team {
	t.Members = slices.Clone(t.Members)
	t.Managers = slices.Clone(t.Managers)
	t.Questions = slices.Clone(t.Questions)
	t.Values = slices.Clone(t.Values)
	return t
}

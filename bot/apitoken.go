package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// APIToken is a per-team credential for the progress API (/api/v1) and the
// CLI's `pulse progress`. The secret half is shown once when it is made
// and never stored: the store keeps its SHA-256 hash, so someone who reads
// Redis cannot call the API with what they find.
type APIToken struct {
	// ID is the public half, which the token carries in the clear, so a
	// call finds its record without searching by secret.
	ID   string
	Team string
	// Name tells a team's tokens apart ("shop-analytics"); unique per team.
	Name string
	// Hash is the hex SHA-256 of the secret half.
	Hash      string
	CreatedBy UserID
	CreatedAt time.Time
}

// PlatformAPI is the "platform" of updates fed by the API, the CLI or a
// scheduled pull: their author ids are "api:<team>:<token or source name>".
const PlatformAPI Platform = "api"

// APITokenStore keeps API tokens.
type APITokenStore interface {
	// SaveAPIToken stores a new token; bot.ErrConflict when the team
	// already has a token of that name, bot.ErrDuplicate when a.Key was
	// seen before (the earlier token stands).
	SaveAPIToken(ctx context.Context, t APIToken, a AuditEntry) error
	// APIToken returns the token with this public id, or ErrNotFound.
	APIToken(ctx context.Context, id string) (APIToken, error)
	// TeamAPITokens lists the team's tokens, oldest first.
	TeamAPITokens(ctx context.Context, team string) ([]APIToken, error)
	// RevokeAPIToken deletes the team's token of that name and returns it;
	// ErrNotFound when there is none.
	RevokeAPIToken(ctx context.Context, team, name string, a AuditEntry) (APIToken, error)
}

// tokenPrefix starts every token, so secret scanners and people recognise one.
const tokenPrefix = "pulse_"

// ValidSourceName reports whether name may name a token or a metric source.
func ValidSourceName(name string) bool { return parse.ValidName(name) }

// newAPIToken makes a token's record and the token itself: pulse_<id>_<secret>.
func newAPIToken() (APIToken, string, error) {
	idBytes := make([]byte, 10)
	secret := make([]byte, 32)
	if _, err := rand.Read(idBytes); err != nil {
		return APIToken{}, "", fmt.Errorf("random token id: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return APIToken{}, "", fmt.Errorf("random token secret: %w", err)
	}
	id := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(idBytes))
	sec := base64.RawURLEncoding.EncodeToString(secret)
	return APIToken{ID: id, Hash: hashSecret(sec)}, tokenPrefix + id + "_" + sec, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ErrUnauthorized means an API call carried no token, a malformed one, an
// unknown or revoked one, or one whose secret does not match.
var ErrUnauthorized = errors.New("unauthorized")

// Authenticate finds the token a caller presented. The record is looked up
// by the public id; the secret's hash is then compared in constant time,
// so response timing tells nothing about how much of a guess was right.
func (s *Service) Authenticate(ctx context.Context, raw string) (APIToken, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(raw), tokenPrefix)
	if !ok {
		return APIToken{}, ErrUnauthorized
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) != 43 {
		return APIToken{}, ErrUnauthorized
	}
	t, err := s.store.APIToken(ctx, id)
	if errors.Is(err, ErrNotFound) {
		// Spend the same work as a real comparison before refusing.
		subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(strings.Repeat("0", 64)))
		return APIToken{}, ErrUnauthorized
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("authenticate token %s: %w", id, err)
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(t.Hash)) != 1 {
		return APIToken{}, ErrUnauthorized
	}
	return t, nil
}

// tokenCommand is `/pulse token create <team> [name]`, `/pulse token list
// [team]` and `/pulse token revoke <team> <name>`, for the team's managers
// and admins.
func (s *Service) tokenCommand(ctx context.Context, r *request, sub, args string) (Response, error) {
	spec, err := parse.ParseTokenCommand(sub, args)
	if err != nil {
		return Response{}, err
	}
	switch spec.Action {
	case "create":
		return s.tokenCreate(ctx, r, spec.Team, spec.Name)
	case "list":
		return s.tokenList(ctx, r, spec.Team)
	}
	return s.tokenRevoke(ctx, r, spec.Team, spec.Name)
}

// tokenTeam resolves a team whose API tokens the actor may manage.
func (s *Service) tokenTeam(ctx context.Context, r *request, name string) (Team, error) {
	team, err := s.resolveTeam(ctx, r, name, needManager)
	if err != nil {
		return Team{}, err
	}
	if !s.canManage(team, r.actor.ID) {
		return Team{}, refuse("error_not_manager", map[string]any{"Team": team.Name})
	}
	return team, nil
}

func (s *Service) tokenCreate(ctx context.Context, r *request, teamName, name string) (Response, error) {
	team, err := s.tokenTeam(ctx, r, teamName)
	if err != nil {
		return Response{}, err
	}
	t, raw, err := newAPIToken()
	if err != nil {
		return Response{}, err
	}
	t.Team, t.Name, t.CreatedBy, t.CreatedAt = team.ID, name, r.actor.ID, r.now
	err = s.store.SaveAPIToken(ctx, t, r.audit("api.token.created", name, "id "+t.ID))
	switch {
	case errors.Is(err, ErrConflict):
		return Response{}, refuse("token_name_taken", map[string]any{"Team": team.Name, "Name": name})
	case err != nil:
		return Response{}, fmt.Errorf("save api token %s of %s: %w", name, team.ID, err)
	}
	msg := Message{Blocks: []Block{Text{Text: s.t(r, "token_created", map[string]any{"Team": team.Name, "Name": name, "Token": raw})}}}
	if r.ev.Direct {
		return Response{Reply: msg, Visibility: Private}, nil
	}
	// Shown once, and never in a channel, where an ephemeral reply is one
	// screenshot from someone else: it goes to the direct chat.
	to := Address{Platform: r.actor.ID.Platform(), User: r.actor.ID}
	if _, err := s.messenger.Send(ctx, to, msg, r.ev.Key+":token"); err != nil {
		// Nobody saw the secret: a token kept now would be valid yet
		// unusable and would hold its name. Take it back, so the
		// event's retry makes and delivers a fresh one.
		if _, rerr := s.store.RevokeAPIToken(ctx, team.ID, name, r.audit("api.token.revoked", name, "direct message failed")); rerr != nil {
			s.log.Error().Err(rerr).Str("team", team.ID).Str("token", name).Msg("take back an undelivered api token")
		}
		return Response{}, fmt.Errorf("send api token to %s: %w", r.actor.ID, err)
	}
	return s.say(r, "token_sent", map[string]any{"Name": name}), nil
}

func (s *Service) tokenList(ctx context.Context, r *request, teamName string) (Response, error) {
	team, err := s.tokenTeam(ctx, r, teamName)
	if err != nil {
		return Response{}, err
	}
	list, err := s.store.TeamAPITokens(ctx, team.ID)
	if err != nil {
		return Response{}, fmt.Errorf("list api tokens of %s: %w", team.ID, err)
	}
	msg := Message{Title: s.t(r, "token_list_title", map[string]any{"Team": team.Name})}
	if len(list) == 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "token_list_empty", map[string]any{"Team": team.ID})})
		return Response{Reply: msg, Visibility: Private}, nil
	}
	ids := make([]UserID, 0, len(list))
	for _, t := range list {
		ids = append(ids, t.CreatedBy)
	}
	names, err := s.names(ctx, r, ids)
	if err != nil {
		return Response{}, err
	}
	lines := make([]string, 0, len(list))
	for _, t := range list {
		lines = append(lines, s.t(r, "token_list_line", map[string]any{
			"Name": t.Name, "ID": tokenPrefix + t.ID, "By": names[t.CreatedBy],
			"Date": t.CreatedAt.In(personLocation(r.actor, team)).Format("2006-01-02")}))
	}
	msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) tokenRevoke(ctx context.Context, r *request, teamName, name string) (Response, error) {
	team, err := s.tokenTeam(ctx, r, teamName)
	if err != nil {
		return Response{}, err
	}
	_, err = s.store.RevokeAPIToken(ctx, team.ID, name, r.audit("api.token.revoked", name, ""))
	switch {
	case errors.Is(err, ErrNotFound):
		return Response{}, refuse("token_unknown", map[string]any{"Team": team.ID, "Name": name})
	case err != nil:
		return Response{}, fmt.Errorf("revoke api token %s of %s: %w", name, team.ID, err)
	}
	return s.say(r, "token_revoked", map[string]any{"Team": team.Name, "Name": name}), nil
}

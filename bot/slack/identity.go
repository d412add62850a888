package slack

import "github.com/slack-go/slack"

// Who a Slack person is. The core identifies people as
// "slack:<workspace>:<user>", and the visibility model decides on the
// workspace, so it must be the person's own, never merely the one the
// payload came through:
//   - a person's own workspace (an event's user_team, an interaction's
//     user.team_id) when it differs from the payload's: a Slack Connect
//     guest is identified by their own company's workspace, not the host's,
//     and is an outsider unless an admin adds them to a team;
//   - otherwise the Enterprise Grid organisation (enterprise_id) when Pulse
//     is installed org-wide (is_enterprise_install): user ids are global in
//     a Grid org, so a person active in two of its workspaces is one person;
//   - otherwise the payload's workspace (team_id).
//
// A slash command comes only from someone whose workspace has Pulse
// installed, so its team_id is already theirs.

// orgWide is the Grid organisation of an event when Pulse is installed
// org-wide, else "" (a per-workspace install sees one workspace only).
func (e envelope) orgWide() string {
	for _, a := range e.Authorizations {
		if a.IsEnterpriseInstall {
			return e.EnterpriseID
		}
	}
	return ""
}

// orgWideCommand is the Grid organisation of a slash command under an org-wide install.
func orgWideCommand(sc slack.SlashCommand) string {
	if sc.IsEnterpriseInstall {
		return sc.EnterpriseID
	}
	return ""
}

// workspaceOf is the workspace a person is identified by: own is their own
// workspace when the payload says, payload the payload's team_id (or this
// installation's), enterprise the Grid organisation's id when there is one.
// In a channel shared with another company (extShared) a person of another
// workspace is never taken into the Grid organisation.
func workspaceOf(own, payload, enterprise string, extShared bool) string {
	switch {
	case own != "" && own != payload && (enterprise == "" || extShared):
		return own
	case enterprise != "":
		return enterprise
	}
	return payload
}

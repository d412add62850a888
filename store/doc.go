// Package store keeps Pulse's records in Redis: it implements bot.Store and
// bot.Cache on a redis.UniversalClient (one server, Sentinel or Cluster).
// The embedded server (StartEmbedded) runs the same code for `pulse try`.
//
// # Key schema
//
// Every key starts with the prefix P (Options.Prefix, default "pulse:").
// All keys of one team carry the hash tag {team:<id>} and all keys of one
// person {user:<id>}, so on a Redis Cluster each team (and each person)
// lives in one slot and the Lua scripts, whose keys are always keys of one
// team, stay legal. A few global keys have no tag.
//
// Global:
//
//	P teams                          set     team ids
//	P channels                       hash    "<platform>:<channel>" → team id
//	P goal:seq                       string  goal id counter; ids are "G<n>"
//	P goal:team                      hash    goal id → team id (immutable; cached in process)
//	P seen:<key>                     string  Deduper.FirstSeen marker, TTL from the caller
//	P cache:<key>                    string  Cache value, TTL from the caller
//
// Per team, T = P{team:<id>}:
//
//	T team                           string  team record
//	T audit                          list    audit entries, newest first, capped at AuditCap (10,000)
//	T goals                          set     goal ids
//	T goal:<gid>                     hash    rec (static goal record), cur (current value,
//	                                         shortest exact decimal), st (stated status),
//	                                         upd (updated at, RFC 3339)
//	T goal:<gid>:updates             zset    update ids scored by time (unix ms)
//	T updates                        hash    update id ("U<n>") → update record
//	T updates:by-time                zset    update ids scored by time (unix ms)
//	T updates:by:<user>              set     ids of updates the person wrote (for ForgetPerson)
//	T updates:seq                    string  update id counter
//	T kudos                          hash    kudos id → kudos record
//	T kudos:by-time                  zset    kudos ids scored by time (unix ms)
//	T kudos:from:<user>              zset    ids of kudos the person gave, scored by time
//	T kudos:to:<user>                set     ids of kudos the person received
//	T kudos:used:<user>:<day>        string  recipients the person used that day; TTL AllowanceTTL (48h)
//	T checkins:<period>              hash    person id → check-in record
//	T checkins:of:<user>             set     periods the person has a check-in for
//	T idem:<kind>:<key>              string  idempotency marker, TTL IdempotencyTTL (72h);
//	                                         kind is update, kudos, checkin, goal or audit
//
// Per person, U = P{user:<id>}:
//
//	U person                         string  profile
//	U conv                           string  the check-in conversation in progress
//	U teams                          set     team ids the person was put in by SaveTeam
//
// Other files of this package keep their own keys under the same prefix and
// tags and document them where they are defined: the scheduler's run claims,
// delivery queue and send limiter (claims.go, queue.go, ratelimit.go),
// scorecard reads (scorecard.go), reviews (review.go) and API tokens with
// their rate limit (apitoken.go).
//
// The scheduler's keys (run claims and records, the delivery stream and its
// markers, the shared rate limiter) are listed at the top of claims.go,
// queue.go and ratelimit.go; feedback and review keys at the top of
// review.go. They follow the same prefix and hash-tag rules.
//
// # Records
//
// Records are JSON with short field names and zero values left out (see
// records.go). Fields that the key already holds (team id, goal id, kudos
// id, a check-in's person and period) are not repeated. A goal's moving
// parts (current value, stated status, updated time) are separate hash
// fields: RecordUpdate's script reads the current value, computes the new
// one (absolute, or the old plus an amount) and writes it in the same step,
// so concurrent updates never conflict; it decodes the record only to check
// the goal is open and its metric is the one the core checked the unit
// against. SaveGoal writes the record and never the moving parts (except
// when a goal changes between milestone and numeric), so a close or edit
// racing an update cannot write back a stale value.
//
// # Atomicity and cost
//
// Writes that the rules need atomic are one Lua script over one team's
// keys, with the audit entry appended in the same script: RecordUpdate,
// GiveKudos, UndoKudos, SaveCheckIn, CreateGoal, SaveGoal, SaveTeam and
// Audit. A write with an idempotency key sets its marker in the same
// script, so a repeat returns bot.ErrDuplicate and changes nothing.
//
// RecordUpdate costs one round trip once the goal's team is cached in the
// process (two on the first call for a goal). GiveKudos costs one.
// Time-window reads (TeamUpdates, GoalUpdates, TeamKudos) are one script that
// reads the window from a sorted index and fetches only those records, so
// they cost in proportion to the window, not the history.
//
// SaveTeam's global indexes (team list, channel → team, person → teams) are
// in other slots and written after the team; readers check them against the
// team record. ForgetPerson runs an optimistic transaction per team.
package store

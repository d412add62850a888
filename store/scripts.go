package store

import "github.com/redis/go-redis/v9"

// scripts are the Lua scripts behind the writes that must be atomic. Each
// script's KEYS are all keys of one team (one hash tag, one Cluster slot);
// slots_test.go checks that for every script. Scripts reply with a status
// word ("ok", "duplicate", "notfound", "conflict", "exceeded") that errReply
// maps to the bot errors, so no error text has to be parsed.
type scripts struct {
	recordUpdate *redis.Script
	createGoal   *redis.Script
	saveGoal     *redis.Script
	giveKudos    *redis.Script
	undoKudos    *redis.Script
	saveCheckIn  *redis.Script
	saveTeam     *redis.Script
	audit        *redis.Script
	unindexChan  *redis.Script
	window       *redis.Script
}

// all lists every script by name, for the slot test.
func (sc *scripts) all() map[string]*redis.Script {
	return map[string]*redis.Script{
		"recordUpdate": sc.recordUpdate, "createGoal": sc.createGoal, "saveGoal": sc.saveGoal,
		"giveKudos": sc.giveKudos, "undoKudos": sc.undoKudos, "saveCheckIn": sc.saveCheckIn,
		"saveTeam": sc.saveTeam, "audit": sc.audit, "unindexChan": sc.unindexChan,
		"window": sc.window,
	}
}

func newScripts() *scripts {
	return &scripts{
		recordUpdate: redis.NewScript(auditLua + recordUpdateLua),
		createGoal:   redis.NewScript(auditLua + markerLua + createGoalLua),
		saveGoal:     redis.NewScript(auditLua + markerLua + saveGoalLua),
		giveKudos:    redis.NewScript(auditLua + markerLua + giveKudosLua),
		undoKudos:    redis.NewScript(auditLua + undoKudosLua),
		saveCheckIn:  redis.NewScript(auditLua + markerLua + saveCheckInLua),
		saveTeam:     redis.NewScript(auditLua + saveTeamLua),
		audit:        redis.NewScript(auditLua + markerLua + appendAuditLua),
		unindexChan:  redis.NewScript(unindexChanLua),
		window:       redis.NewScript(windowLua),
	}
}

// auditLua appends an entry to a capped audit list, newest first. An empty
// entry means the write carries no audit entry.
const auditLua = `
local function audit(key, entry, cap)
  if entry ~= '' then
    redis.call('LPUSH', key, entry)
    redis.call('LTRIM', key, 0, tonumber(cap) - 1)
  end
end
`

// markerLua reads and writes an event's idempotency marker, which names
// the call that wrote it after the payload ("<payload> <call id>"). go-redis
// sends a script again when its reply is lost (a read timeout, a dropped
// connection, a LOADING refusal in a pipeline): that resend finds the
// marker of its own first send, and seen says so (mine), so the script
// answers as the first send did instead of "duplicate". A marker written
// before call ids (no space) is another call's.
const markerLua = `
local function seen(key, call)
  local v = redis.call('GET', key)
  if not v then return false, false end
  local payload, by = string.match(v, '^(%S*) (%S+)$')
  if payload then return payload, by == call end
  return v, false
end
local function mark(key, payload, ttl, call)
  redis.call('SET', key, payload .. ' ' .. call, 'EX', ttl)
end
`

// recordUpdateLua applies one progress update to a goal's current value:
// it reads the value, computes the new one (an absolute value, or the old
// one plus an amount, rounded to the decimal places of the two within 15
// significant digits, so decimal steps add up exactly), checks it and
// appends the update, all in one step, so concurrent updates never conflict. The update record is completed
// here with the values it moved between ("v", "p") in front of the
// caller's JSON. A marker seen before (the caller's key, or for a keyless
// update this call's own) replies the update it recorded then:
// 'duplicate', or 'ok' when the marker names this very call (ARGV[12]), so
// a resend of the same call (go-redis resends a pipeline whose first reply
// was a retryable refusal, and one after a timeout) answers as the first
// send did. Replies {status, update json}.
// KEYS: goal hash, updates hash, team updates by time, goal updates by time,
// author's updates set, audit list, idempotency marker, update id counter.
// ARGV: marker ttl, relative, number, unit checked, milestone checked,
// stated, at millis, updated at, update json without v and p, audit json,
// audit cap, call id.
const recordUpdateLua = `
local function num(x)
  for p = 15, 17 do
    local s = string.format('%.' .. p .. 'g', x)
    if tonumber(s) == x then return s end
  end
  return string.format('%.17g', x)
end
local function decimals(s)
  local mantissa, exp = string.match(s, '^[-+]?([%d.]+)[eE]([-+]?%d+)$')
  if not mantissa then mantissa, exp = s, '0' end
  local fraction = string.match(mantissa, '%.(%d+)$') or ''
  return math.max(#fraction - tonumber(exp), 0)
end
local prior = redis.call('GET', KEYS[7])
if prior then
  local id, call = string.match(prior, '^(%S+) ?(%S*)$')
  local status = 'duplicate'
  if call == ARGV[12] then status = 'ok' end
  return {status, redis.call('HGET', KEYS[2], id or prior) or ''}
end
local h = redis.call('HMGET', KEYS[1], 'rec', 'cur')
if not h[1] then return {'notfound', ''} end
local rec = cjson.decode(h[1])
if rec.state and rec.state ~= 'open' then return {'closed', ''} end
local milestone = rec.ms == true
if (rec.u or '') ~= ARGV[4] or tostring(milestone) ~= ARGV[5] then return {'conflict', ''} end
local prev = tonumber(h[2])
local value = tonumber(ARGV[3])
if ARGV[2] == '1' then
  -- Decimal steps add up exactly (2.1 + 0.3 + 0.3 + 0.3 is 3, not
  -- 2.9999999999999996): the sum is rounded to the decimal places of its
  -- terms, kept within 15 significant digits (which also heals a value
  -- that drifted before, and never rounds a small value away).
  local sum = prev + value
  local places = math.max(decimals(h[2]), decimals(ARGV[3]))
  if sum ~= 0 then
    places = math.max(math.min(places, 14 - math.floor(math.log10(math.abs(sum)))), 0)
  end
  -- Lua's format takes at most two digits of precision.
  value = tonumber(string.format('%.' .. math.min(places, 99) .. 'f', sum))
  if value == 0 then value = 0 end -- never "-0"
end
if milestone and (value < 0 or value > 100) then return {'range', ''} end
local id = 'U' .. redis.call('INCR', KEYS[8])
local data = '{"v":' .. num(value) .. ',"p":' .. num(prev) .. ',' .. string.sub(ARGV[9], 2)
redis.call('HSET', KEYS[1], 'cur', num(value), 'upd', ARGV[8])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'st', ARGV[6]) end
redis.call('HSET', KEYS[2], id, data)
redis.call('ZADD', KEYS[3], ARGV[7], id)
redis.call('ZADD', KEYS[4], ARGV[7], id)
redis.call('SADD', KEYS[5], id)
redis.call('SET', KEYS[7], id .. ' ' .. ARGV[12], 'EX', ARGV[1])
audit(KEYS[6], ARGV[10], ARGV[11])
return {'ok', data}
`

// createGoalLua stores a new goal under an id the caller took from the
// global counter. With a key seen before it replies the earlier goal's id
// ('ok' when this very call created it: a resend, see markerLua).
// KEYS: goal hash, team goals set, audit list, idempotency marker.
// ARGV: has key, marker ttl, goal id, rec, cur, st, upd, audit json, audit cap,
// call id.
const createGoalLua = `
if ARGV[1] == '1' then
  local prior, mine = seen(KEYS[4], ARGV[10])
  if mine then return {'ok', prior} end
  if prior then return {'duplicate', prior} end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'rec', ARGV[4], 'cur', ARGV[5], 'st', ARGV[6], 'upd', ARGV[7])
redis.call('SADD', KEYS[2], ARGV[3])
if ARGV[1] == '1' then mark(KEYS[4], ARGV[3], ARGV[2], ARGV[10]) end
audit(KEYS[3], ARGV[8], ARGV[9])
return {'ok', ARGV[3]}
`

// saveGoalLua replaces an existing goal's record (title, metric, dates,
// state) and updated time. The current value and stated status belong to
// recordUpdateLua, so a close or an edit racing an update never writes
// back the value it read before the update; the exceptions are a
// milestone given a numeric target (or back) and a new measure (one more
// past measure in "pm"), whose old value means nothing on the new scale:
// then the caller's value is taken.
// The record is saved only over the version the caller read ("ver", the
// count of saves; absent is 0), else 'conflict': two edits racing never
// write back each other's fields. A save keyed by an event (ARGV[8] = '1')
// marks the event in the same step, and a redelivery of it finds the
// mark and writes nothing ('duplicate'; 'ok' for a resend of the call that
// saved, see markerLua), its audit entry included.
// KEYS: goal hash, audit list, idempotency marker.
// ARGV: rec, cur, st, upd, audit json, audit cap, version read, keyed, marker ttl,
// call id.
const saveGoalLua = `
local old = redis.call('HGET', KEYS[1], 'rec')
if not old then return 'notfound' end
if ARGV[8] == '1' then
  local prior, mine = seen(KEYS[3], ARGV[10])
  if mine then return 'ok' end
  if prior then return 'duplicate' end
end
local ver = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
if ver ~= tonumber(ARGV[7]) then return 'conflict' end
if ARGV[8] == '1' then mark(KEYS[3], '1', ARGV[9], ARGV[10]) end
redis.call('HSET', KEYS[1], 'rec', ARGV[1], 'upd', ARGV[4], 'ver', ver + 1)
local before, after = cjson.decode(old), cjson.decode(ARGV[1])
local function measures(r) if type(r.pm) == 'table' then return #r.pm end return 0 end
if (before.ms == true) ~= (after.ms == true) or measures(after) > measures(before) then
  redis.call('HSET', KEYS[1], 'cur', ARGV[2])
end
audit(KEYS[2], ARGV[5], ARGV[6])
return 'ok'
`

// giveKudosLua checks the giver's daily allowance and stores the kudos.
// Replies {status, remaining}; a resend of the call that stored it (see
// markerLua) replies 'ok' with what remains.
// KEYS: allowance counter, kudos hash, kudos by time, giver's kudos by time,
// audit list, idempotency marker, then each recipient's kudos set.
// ARGV: has key, marker ttl, recipients, allowance, kudos id, kudos json,
// at millis, audit json, audit cap, counter ttl, call id.
const giveKudosLua = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local allowance = tonumber(ARGV[4])
if ARGV[1] == '1' then
  local prior, mine = seen(KEYS[6], ARGV[11])
  if mine then return {'ok', allowance - used} end
  if prior then return {'duplicate', allowance - used} end
end
if redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1 then return {'duplicate', allowance - used} end
local n = tonumber(ARGV[3])
if used + n > allowance then return {'exceeded', allowance - used} end
redis.call('INCRBY', KEYS[1], n)
redis.call('EXPIRE', KEYS[1], ARGV[10])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[5])
for i = 7, #KEYS do redis.call('SADD', KEYS[i], ARGV[5]) end
if ARGV[1] == '1' then mark(KEYS[6], ARGV[5], ARGV[2], ARGV[11]) end
audit(KEYS[5], ARGV[8], ARGV[9])
return {'ok', allowance - used - n}
`

// undoKudosLua deletes a kudos and refunds its recipients to the day's
// allowance (never below zero; nothing when the counter already expired).
// The undo event's marker keeps the kudos it took back, so the same event
// delivered again changes nothing and replies that kudos ({'duplicate',
// id, json}), instead of taking back the one before.
// KEYS: allowance counter, kudos hash, kudos by time, giver's kudos by time,
// audit list, idempotency marker, then each recipient's kudos set.
// ARGV: kudos id, recipients, audit json, audit cap, has key, marker ttl.
const undoKudosLua = `
if ARGV[5] == '1' then
  local done = redis.call('HMGET', KEYS[6], 'id', 'rec')
  if done[1] then return {'duplicate', done[1], done[2]} end
end
local rec = redis.call('HGET', KEYS[2], ARGV[1])
if not rec then return {'notfound'} end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
for i = 7, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used > 0 then redis.call('DECRBY', KEYS[1], math.min(used, tonumber(ARGV[2]))) end
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[6], 'id', ARGV[1], 'rec', rec)
  redis.call('EXPIRE', KEYS[6], ARGV[6])
end
audit(KEYS[5], ARGV[3], ARGV[4])
return {'ok', ARGV[1], rec}
`

// saveCheckInLua stores one person's check-in for a period, once per key
// ('ok' again for a resend of the same call, see markerLua).
// KEYS: period's check-ins hash, person's periods set, audit list, idempotency marker.
// ARGV: has key, marker ttl, person, check-in json, period, audit json, audit cap,
// call id.
const saveCheckInLua = `
if ARGV[1] == '1' then
  local prior, mine = seen(KEYS[4], ARGV[8])
  if mine then return 'ok' end
  if prior then return 'duplicate' end
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[5])
if ARGV[1] == '1' then mark(KEYS[4], ARGV[5], ARGV[2], ARGV[8]) end
audit(KEYS[3], ARGV[6], ARGV[7])
return 'ok'
`

// saveTeamLua replaces a team record and replies the one it replaced (” if
// none), so the caller can drop index entries of people who left.
// KEYS: team record, audit list. ARGV: team json, audit json, audit cap.
const saveTeamLua = `
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
audit(KEYS[2], ARGV[2], ARGV[3])
return old or ''
`

// appendAuditLua appends one entry, once per idempotency key ('ok' again
// for a resend of the same call, see markerLua).
// KEYS: audit list, idempotency marker. ARGV: has key, marker ttl, audit json,
// audit cap, call id.
const appendAuditLua = `
if ARGV[1] == '1' then
  local prior, mine = seen(KEYS[2], ARGV[5])
  if mine then return 'ok' end
  if prior then return 'duplicate' end
  mark(KEYS[2], '1', ARGV[2], ARGV[5])
end
audit(KEYS[1], ARGV[3], ARGV[4])
return 'ok'
`

// unindexChanLua removes a channel → team entry only if it still names
// the team, so a team moving away never unhooks another team's channel.
// KEYS: channel index. ARGV: field, team id.
const unindexChanLua = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 'ok'
`

// windowLua reads the records a time index holds between two scores, in one
// round trip, fetching in chunks to stay under Lua's unpack limit.
// Replies a flat list: id, json, id, json, ... oldest first.
// KEYS: sorted index, records hash. ARGV: min score, max score.
const windowLua = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2])
local out = {}
local chunk = 500
for i = 1, #ids, chunk do
  local part = {}
  for j = i, math.min(i + chunk - 1, #ids) do part[#part + 1] = ids[j] end
  local recs = redis.call('HMGET', KEYS[2], unpack(part))
  for j, id in ipairs(part) do
    if recs[j] then
      out[#out + 1] = id
      out[#out + 1] = recs[j]
    end
  end
end
return out
`

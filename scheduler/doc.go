// Package scheduler decides when Pulse's scheduled jobs fire, makes sure
// each fire runs once however many replicas run and across restarts, and
// sends the deliveries of a run through a durable Redis queue at the
// platforms' rate limits.
//
// # When jobs fire
//
// Schedules are five-field cron expressions (robfig/cron's parser) read in
// the team's IANA zone:
//
//   - checkin-prompt: Team.CheckInSchedule (default "0 10 * * MON"). Each
//     member is prompted at that time in their own zone (Person.TimeZone,
//     falling back to the team's): members are grouped by zone and each
//     group is its own fire, passing the group in JobRequest.People.
//   - checkin-remind: RemindAfter (4 h) after the prompt, but at least
//     RemindBeforeClose (1 h) before the window closes; per member zone.
//   - checkin-summary: when the window closes: 17:00 (SummaryHour) on the
//     prompt's day in the team's zone, or MinWindow (4 h) after the prompt
//     if that is later.
//   - scorecard-digest: Team.DigestSchedule (default "0 16 * * FRI").
//   - goal-nudge: 09:00 team time, daily (NudgeSchedule).
//   - feedback-remind, review-remind, action-nudge: with the goal nudge, 09:00 team
//     time on working days; each reminder's delivery key makes it go out once.
//
// Fires are computed per local calendar day: each local time a schedule
// names fires exactly once that day, so daylight-saving changes never skip
// or double a prompt (a time in the spring gap fires an hour later).
//
// # Days off
//
// Check-in prompts, reminders and summaries, and goal nudges, skip days off:
// weekends plus the team's holiday calendar (Team.Holidays: "none", "cn"
// for the shipped mainland China calendar, or the path of a YAML file with
// `holidays:` and `workdays:` date lists). A make-up working day (调休) on
// a weekend fires schedules that fire on every working day (Monday–Friday);
// a weekly schedule keeps its own weekday. The digest is posted whatever the
// day. People who are away are left out by the planner.
//
// # Once, across replicas and restarts
//
// Every replica runs the loop (Run), waking every 30 s at most on the
// injected clock. A fire is named by (job, team, zone, fire time) (RunID)
// and claimed by one atomic Redis write (RunLog.Claim, which the store implements) that is kept
// for days, so two replicas never both run it and a restart does not run it
// again. Each wake also looks back Timing.Lookback for fires missed while
// every process was down: they run if still within their grace window
// (same local day; the digest within 24 h), otherwise they are recorded as
// missed and logged. A run whose claimant died before enqueuing is taken
// over when its planning lease passes.
//
// # Durable fan-out
//
// A run puts one entry per delivery on a Redis Stream. Workers (Config.
// Workers per process, in one consumer group across replicas) read entries,
// reserve the delivery's marker (so only one worker sends it), send it
// through the Planner, mark it sent, and acknowledge the entry. A worker
// restarted under the same consumer name first finishes what it held; the
// entries of a consumer that died are reclaimed (XAUTOCLAIM) after
// Timing.ClaimIdle. A crash after the send and before the acknowledgement
// therefore does not send again. The one window left is between the
// platform accepting a message and the marker being written (a few
// milliseconds); there the messenger's idempotency key (Delivery.Key;
// Feishu's uuid) is the last guard.
//
// # Rate limits
//
// Limiter paces sends per platform across replicas and retries sends that
// the platform rate-limited (RetryAfterError), holding every replica's
// sends for the time the platform asked. Wrap the core's messenger with it.
package scheduler

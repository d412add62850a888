// Package bot is the centre of Pulse: the domain records (team, person, goal,
// update, kudos, check-in, audit entry), the Service that applies the rules of
// SPEC.md to platform-neutral events, the command language, the check-in
// conversation, the rich-message model that adapters render, translations,
// and the interfaces Pulse needs from the outside world (storage, messengers,
// a clock).
//
// It imports no chat platform, Redis or cron package: adapters (bot/slack,
// bot/feishu, bot/console) translate platform events into Event and render
// Message; the store package implements Store on Redis; the scheduler package
// decides when jobs run. A test in this package fails the build if that rule
// is broken.
package bot

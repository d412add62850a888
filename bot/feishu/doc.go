// Package feishu connects Pulse to Feishu and Lark (its international
// edition). It turns Feishu pushes into bot.Event, hands them to a
// bot.Handler, and renders bot.Message as interactive cards (JSON 2.0).
//
// Two transports receive events. In "ws" mode (the default) the SDK's long
// connection carries them, so no public URL is needed; in "webhook" mode
// Feishu posts to /feishu/events and /feishu/cards, and this package checks
// what the SDK does not: the verification token on every push, the
// X-Lark-Signature, and a request timestamp within five minutes. Both
// transports end in the same event dispatcher, so a push is handled the
// same way whichever way it came.
//
// The adapter is thin: it translates and delivers, and the core decides. It
// acknowledges a push before doing the work (Feishu re-pushes anything not
// answered within 3 s), drops re-pushes by event_id and message_id, and
// sends with a uuid so a retried send posts once.
//
// Only the im and contact service packages of the SDK are built for API
// calls, on one shared larkcore.Config; the root client, which compiles all
// 56 services, is not used for that. The SDK's long-connection package
// (ws) imports the root package itself, so the binary still contains it;
// see deploy/feishu/README.md for the measured build times.
package feishu

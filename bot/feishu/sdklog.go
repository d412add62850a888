package feishu

import (
	"context"
	"fmt"
	"regexp"

	"github.com/rs/zerolog"
)

// sdkLogger hands the SDK's log lines to zerolog. The long-connection client
// logs its connection URL, whose query carries an access key and a ticket,
// so query strings are cut from every line. The SDK's info lines are
// routine ("client ready", "connected") and go to debug; Pulse logs the
// connection's state itself.
type sdkLogger struct{ log zerolog.Logger }

var urlQuery = regexp.MustCompile(`((?:wss?|https?)://[^\s?]+)\?[^\s\]]*`)

func redact(args []any) string {
	return urlQuery.ReplaceAllString(fmt.Sprint(args...), "$1?…")
}

func (l sdkLogger) Debug(_ context.Context, args ...any) {
	l.log.Debug().Str("source", "lark-sdk").Msg(redact(args))
}

func (l sdkLogger) Info(_ context.Context, args ...any) {
	l.log.Debug().Str("source", "lark-sdk").Msg(redact(args))
}

func (l sdkLogger) Warn(_ context.Context, args ...any) {
	l.log.Warn().Str("source", "lark-sdk").Msg(redact(args))
}

func (l sdkLogger) Error(_ context.Context, args ...any) {
	l.log.Error().Str("source", "lark-sdk").Msg(redact(args))
}

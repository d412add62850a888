// Command pulse runs Pulse: `pulse try` for a local demo in the terminal,
// `pulse serve` for Slack and Feishu, and the operator commands `jobs run`,
// `export`, `import` and `config check`. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rs/zerolog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "pulse:", err)
		}
		os.Exit(1)
	}
}

// usage is the help text; the job list is taken from bot.Jobs so it names
// every job there is.
var usage = `usage: pulse <command>

  try                       chat with Pulse in the terminal, on a demo team
  serve [--embedded-store]  connect to Slack and Feishu, serve webhooks, run the scheduler
  jobs run <job> [--team T] [--at RFC3339]
                            run one scheduled job now; job is one of
                            ` + jobList() + `
  export --format csv|json [--team T] [--from DATE] [--to DATE] [--period 2026-Q4]
                            write goals, updates, kudos and check-ins to stdout
                            (JSON: format version 2, schema docs/export.schema.json)
  import [--file F] [--team T]
                            check a JSON export (from stdin or a file), then restore it
                            into REDIS_URL; any problem: one line each, nothing imported
  progress <goal> <value> [--note TEXT] [--status S] [--at RFC3339] [--key K]
  progress --csv FILE [--source NAME]
                            record a goal's value (or back-fill goal,value,time rows) as the API does
  inbox dead list|retry <id>|drop <id>
                            show, queue again or delete events that failed after every retry
  config check              validate the configuration and show each team's next runs

Configuration comes from the environment (REDIS_URL, PULSE_CONFIG, SLACK_*, FEISHU_*, ...); see README.md.`

// run is the whole program with its outside world passed in, so tests
// drive it with their own arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cfg, cfgErr := loadConfig(getenv)
	if cmd == "try" {
		quietTryLogs(&cfg, getenv)
	}
	log := newLogger(cfg, stderr)
	if cfgErr != nil {
		return cfgErr
	}
	env := &environment{cfg: cfg, log: log, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd {
	case "try":
		return env.try(ctx, rest)
	case "serve":
		return env.serve(ctx, rest)
	case "jobs":
		if len(rest) == 0 || rest[0] != "run" {
			return errors.New("usage: pulse jobs run <job> [--team T] [--at RFC3339]")
		}
		return env.jobsRun(ctx, rest[1:])
	case "inbox":
		return env.inboxDead(ctx, rest)
	case "progress":
		return env.progress(ctx, rest)
	case "export":
		return env.export(ctx, rest)
	case "import":
		return env.importData(ctx, rest)
	case "config":
		if len(rest) != 1 || rest[0] != "check" {
			return errors.New("usage: pulse config check")
		}
		return env.configCheck()
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// environment is what every subcommand gets from run.
type environment struct {
	cfg    config
	log    zerolog.Logger
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// obs is set by serve: its metrics, which the backend and core then feed.
	obs *metrics
}

// newLogger builds the logger run passes down; nothing in Pulse uses a
// global logger. A bad level or format falls back to info/json so the
// configuration problem itself can be reported.
func newLogger(cfg config, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel
	}
	out := w
	if cfg.LogFormat == "console" {
		out = zerolog.ConsoleWriter{Out: w, NoColor: true}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Str("service", "pulse").Logger()
}

// quietTryLogs keeps `pulse try`'s terminal for the chat: unless asked
// otherwise, only warnings and errors are logged, in the readable format.
func quietTryLogs(cfg *config, getenv func(string) string) {
	if getenv("PULSE_LOG_LEVEL") == "" {
		cfg.LogLevel = "warn"
	}
	if getenv("PULSE_LOG_FORMAT") == "" {
		cfg.LogFormat = "console"
	}
}

// parseFlags parses flags that may come before, after or between
// positional arguments ("jobs run checkin-prompt --team growth") and
// returns the positionals.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pulse "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// mustBeEmpty rejects unexpected positional arguments.
func mustBeEmpty(cmd string, positional []string) error {
	if len(positional) > 0 {
		return fmt.Errorf("pulse %s: unexpected argument %q", cmd, strings.Join(positional, " "))
	}
	return nil
}

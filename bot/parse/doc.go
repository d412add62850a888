// Package parse is Pulse's command language: the tokenizer, folding of
// full-width and upper-case text, the keywords of every command in English
// and Chinese, dates, values, mention tokens and periods, and each command's
// grammar returning a typed spec.
//
// It imports nothing from the core (package bot imports it, never the
// reverse) and knows no language of its own: a mistake comes back as an
// *Error carrying a message key and data, which the core renders as one
// sentence in the user's language from bot/locales/parse.*.yaml.
package parse

//go:build race

package bot_test

// raceEnabled is set when the tests run under the race detector, which
// slows every step about fivefold: the property test then runs a sample
// and scripts/test runs it whole without the detector.
const raceEnabled = true

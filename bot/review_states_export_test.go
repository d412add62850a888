package bot

// SheetAllowsOK exposes the transition table's verdict to the external
// state-machine tests, so they expect exactly what the table says.
func SheetAllowsOK(act SheetAction, f SheetFacts) bool { return sheetAllows(act, f).OK }

// CycleAllowsOK exposes the cycle table's verdict to the external tests.
func CycleAllowsOK(act CycleAction, state CycleState, released bool) bool {
	return cycleAllows(act, state, released)
}

// RequestAllowsOK exposes the request table's verdict to the external tests.
func RequestAllowsOK(act RequestAction, state RequestState, asked, answered bool) bool {
	return requestAllows(act, state, asked, answered).OK
}

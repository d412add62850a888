package store

// MarkerKey exposes a delivery marker's key to the store_test tests.
func (q *Queue) MarkerKey(teamID, key string) string { return q.markerKey(teamID, key) }

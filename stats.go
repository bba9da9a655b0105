package pickwave

// WriteStats is the state of the store's write path, for /metrics: how
// many writes wait, how many were shed as overload, and how long commits
// take, as a histogram.
type WriteStats struct {
	// PendingWrites are the writes waiting for the committer now.
	PendingWrites int
	// ShedWrites counts the writes refused as overload since the start,
	// unwritten.
	ShedWrites uint64
	// CommitBuckets are the histogram's upper bounds in seconds, and
	// CommitCounts the commits that took at most each (cumulative).
	CommitBuckets []float64
	CommitCounts  []uint64
	// CommitCount and CommitSum are all commits and their seconds.
	CommitCount uint64
	CommitSum   float64
}

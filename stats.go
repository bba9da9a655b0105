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
	// FileBytes is the data file's size, and FreeBytes what of it is
	// free pages: space that retention gave back, which new writes
	// reuse before the file grows (bbolt never shrinks its file).
	FileBytes, FreeBytes int64
}

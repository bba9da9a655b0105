// Package ha runs a Pickwave site on etcd, for high availability: two or
// more Pickwave nodes, one of them the leader, the others standbys that
// take over within seconds when it dies.
//
// etcd is used as the replicated log, not as the store. The leader keeps
// its bbolt file as its working copy and reads from it alone; each group
// commit of the store is appended to the site's log in etcd, in one etcd
// transaction fenced by the leader's election key, before any caller is
// answered. Standbys tail the log with a watch and apply every entry to
// their own file, so each holds the leader's bytes up to the index it has
// applied. A standby elected leader applies the log to its end, then
// serves. A leader that lost its lease can never append again: its key is
// gone, so every transaction it tries fails its compare and nothing more
// is acknowledged (no split brain).
//
// Keys of a site, under /pickwave/<site>/:
//
//	leader/<lease>      the election (concurrency.Election); value: the leader's URL
//	log/<index>         the log entries, index in 20 digits so keys sort by index
//	chunk/<index>/<n>   the parts of an entry larger than one etcd request
//	snap                the latest snapshot's record (JSON, see snapRecord)
//	snap/<id>/<index>/<n>  its gzipped bbolt file, in parts of at most 1 MiB
//
// A snapshot is where a new or lagging node starts: the leader writes one
// when the site is created and then every SnapshotEvery entries, after
// which the log entries it holds are deleted (compaction of the log; etcd's
// own history is compacted by its --auto-compaction settings).
package ha

package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

var errNoBackups = pickwave.Errorf(pickwave.EUNAVAILABLE, "This server takes no backups.")

// backup streams a consistent hot copy of the store, the bbolt file as it
// stood when the request arrived, while the server goes on serving. Its
// length is known before the first byte, so a copy cut short in transit
// is seen as one by the client.
func (s *Server) backup(c *gin.Context) {
	if s.Backups == nil {
		s.fail(c, errNoBackups)
		return
	}
	snap, err := s.Backups.Snapshot(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	defer snap.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(snap.Size(), 10))
	h.Set("Content-Disposition", `attachment; filename="`+BackupName(time.Now())+`"`)
	h.Set("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if n, err := snap.WriteTo(c.Writer); err != nil {
		// The status is sent: the client sees a body shorter than its
		// Content-Length.
		s.logger.Warn("backup download cut short", "bytes", n, "of", snap.Size(), "err", err)
	}
}

// BackupName is the file name of a backup taken at t, such as
// pickwave-2026-12-02T2301Z.db: names sort by time.
func BackupName(t time.Time) string {
	return "pickwave-" + t.UTC().Format("2006-01-02T1504Z") + ".db"
}

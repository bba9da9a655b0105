// Package syncfile writes small files so that a crash of the machine
// leaves the old file or the new one, never half of one, and the new one
// once Write returns.
package syncfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to path with mode through a synced temporary file
// beside it, renamed over path, and syncs the directory so the rename
// holds too.
func Write(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return Dir(filepath.Dir(path))
}

// Dir syncs a directory, so that a rename or removal in it survives a
// crash of the machine.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/sirocco-project/sirocco/internal/fault"
)

// ErrInUse is returned by Lock when another process (a running server)
// holds the database file.
var ErrInUse = fault.Errorf(fault.ECONFLICT, "the database file is in use by a running server")

// Lock takes an exclusive advisory lock on the database file at path and
// returns its release. A server holds it while it runs: a SQLite file is
// served by one process (Open releases every job lease it finds), and
// migrate-to must not copy a file that is still being written. The lock is
// flock(2) on the file itself, which SQLite's own fcntl(2) locks do not
// touch, and the kernel drops it when the process dies, also by kill -9.
func Lock(path string) (release func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f.Close, nil // closing the file releases the lock
}

package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sirocco-project/sirocco/internal/engine"
)

// TestWriterSettings: the writer's own connection has the settings the
// durability promise rests on (docs: README, "Durability").
func TestWriterSettings(t *testing.T) {
	for _, tc := range []struct {
		sync string
		want int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{"", 2}, {SyncFull, 2}, {SyncNormal, 1}} {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "db"), Options{Sync: tc.sync})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		err = s.Update(context.Background(), func(etx engine.Tx) error {
			q := etx.(*tx).db
			for _, p := range []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout", "wal_autocheckpoint", "temp_store"} {
				var v any
				if err := q.QueryRowContext(context.Background(), "PRAGMA "+p).Scan(&v); err != nil {
					return err
				}
				got[p] = v
			}
			return nil
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"journal_mode": "wal", "synchronous": int64(tc.want), "foreign_keys": int64(1),
			"busy_timeout": int64(10000), "wal_autocheckpoint": int64(4000), "temp_store": int64(2)}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("sync %q: %s = %v (%T), want %v", tc.sync, k, got[k], got[k], v)
			}
		}
	}
}

package state

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Connection settings. Every connection of the pool gets all of them.
const (
	// busyTimeout is how long a statement waits for a lock held by another
	// process (the sqlite3 shell, a backup) before failing with SQLITE_BUSY.
	// Writers of this process are serialised before they reach SQLite.
	busyTimeout = 10 * time.Second
	// cacheKiB is the page cache of each connection, SQLite's default.
	// Runs read each table once, in order, so a larger cache only holds
	// pages nobody reads again: at 100k links a plan's scan grew a 32 MB
	// cache page by page, about 20 MB of peak memory.
	cacheKiB = 2 << 10
	// spillPages keeps a write transaction's dirty pages in memory up to
	// this many pages (32 MiB of 4 KiB pages) before SQLite spills them to
	// the WAL mid-transaction: a 100k-person SaveSnapshot (about 15 MB)
	// runs about 1.6x slower when it spills at the 2 MB cache size.
	spillPages = 8192
	// walLimit truncates the -wal file back to this size after a
	// checkpoint, so one big SaveSnapshot does not leave it large for good.
	walLimit = 64 << 20
	// maxConns bounds the pool (each connection may cache cacheKiB). Reads
	// nested in callbacks need a connection each, so it is not 1.
	maxConns = 8
)

// synchronous is the PRAGMA synchronous of every connection, a variable so
// that BenchmarkCommit can compare NORMAL.
//
// FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power
// loss or an OS crash (not on a process crash). Each Commit records a change
// already made in a target; losing it would hide that change from the audit
// and forget a link, and the next run would see an unlinked account. One
// fsync per change is small next to the HTTP call that preceded it (see
// BenchmarkCommit: about 2x the cost of NORMAL on this machine).
var synchronous = "FULL"

// dsn builds the go-sqlite3 data source name for the absolute path abs. The
// file: URI form lets any path (spaces, '?', '#', '%') through escaped.
// _txlock=immediate makes every transaction take the write lock at BEGIN, so
// a transaction never fails half way on a lock upgrade.
func dsn(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x -> /C:/x
	}
	u := url.URL{Scheme: "file", Path: p}
	return u.String() + "?mode=rwc&_txlock=immediate&_journal_mode=WAL&_synchronous=" + synchronous +
		"&_foreign_keys=on" + fmt.Sprintf("&_cache_size=-%d&_busy_timeout=%d", cacheKiB, busyTimeout.Milliseconds())
}

// openDB returns a pool of connections to abs. Nothing is opened yet.
func openDB(abs string) *sql.DB {
	db := sql.OpenDB(connector{dsn: dsn(abs), drv: &sqlite3.SQLiteDriver{}})
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(2)
	return db
}

// connector opens go-sqlite3 connections and applies the settings the DSN
// cannot carry.
type connector struct {
	dsn string
	drv driver.Driver
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("driver connection %T cannot exec", conn)
	}
	if _, err := ex.ExecContext(ctx, fmt.Sprintf("PRAGMA journal_size_limit = %d; PRAGMA cache_spill = %d", walLimit, spillPages), nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

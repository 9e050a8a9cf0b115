// Command embedded-mongodb runs FerretDB (SQLite storage) behind a small TCP front
// that serialises write commands, giving development and tests a MongoDB-compatible
// server whose single-document updates are atomic, without a mongod binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "embedded-mongodb:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP `address` for MongoDB clients (port 0 picks a free one)")
	dir := flag.String("dir", "", "data `directory`, created if missing")
	exitOnStdinEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input reaches EOF, so a parent that dies takes this process with it")
	// FerretDB logs every failed command (even a driver's routine endSessions) as a warning.
	logLevel := flag.String("log-level", "error", "FerretDB log `level`: debug, info, warn or error")
	flag.Parse()

	if *dir == "" {
		return errors.New("-dir is required")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dataDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}

	if err = os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("cannot create data directory: %w", err)
	}

	ctx, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stopSignals()

	if *exitOnStdinEOF {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)

		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}

	sock, removeSock, err := socketPath(dataDir)
	if err != nil {
		return err
	}
	defer removeSock()

	tcp, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *listen, err)
	}
	defer tcp.Close()

	fdb, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: dataDir + "/"}).String(),
	})
	if err != nil {
		return fmt.Errorf("cannot start FerretDB: %w", err)
	}

	// FerretDB gets its own context so that it outlives the proxy during shutdown.
	fdbCtx, stopFDB := context.WithCancel(context.Background())
	fdbDone := make(chan struct{})

	go func() {
		defer close(fdbDone)
		_ = fdb.Run(fdbCtx)
	}()

	p := newProxy(sock, logger)
	serveErr := make(chan error, 1)

	go func() { serveErr <- p.serve(tcp) }()

	fmt.Printf("ready %s\n", tcp.Addr())

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case <-fdbDone:
		// Without FerretDB every client would get a closed connection: stop accepting them
		// and exit, so the parent sees the failure instead of a server that answers nothing.
		err = errors.New("FerretDB stopped unexpectedly")
	}

	// A second signal now kills the process the default way, in case shutdown hangs.
	stopSignals()

	tcp.Close()
	p.close()
	stopFDB()

	select {
	case <-fdbDone:
	case <-time.After(5 * time.Second):
		logger.Warn("FerretDB did not stop in time")
	}

	return err
}

// socketPath picks where FerretDB listens. The data directory is preferred, so nothing
// is left in the temp directory after a crash, unless the path would be too long for a
// Unix socket (about 104 bytes on macOS, 108 on Linux).
func socketPath(dataDir string) (string, func(), error) {
	path := filepath.Join(dataDir, "ferretdb.sock")
	if len(path) < 100 {
		// A socket left by a killed run makes FerretDB's listen fail; a live one means
		// two servers would share one data directory.
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return "", nil, fmt.Errorf("data directory %s is in use by another running server", dataDir)
		}

		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", nil, err
		}

		return path, func() { _ = os.Remove(path) }, nil
	}

	tmp, err := os.MkdirTemp("", "emdb")
	if err != nil {
		return "", nil, err
	}

	return filepath.Join(tmp, "s.sock"), func() { _ = os.RemoveAll(tmp) }, nil
}

package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

const (
	opQuery      = 2004
	opCompressed = 2012
	opMsg        = 2013

	headerLen = 16

	// mongod's maxMessageSizeBytes: anything longer means a broken peer or a desynchronised stream.
	maxMessageLen = 48_000_000

	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1

	// How long one command may take in FerretDB (a large index build included) before the
	// connection is dropped and the write lock released.
	defaultUpstreamTimeout = 2 * time.Minute

	// How long a client may take to accept its answer.
	defaultClientWriteTimeout = 30 * time.Second
)

// writeCommands are the commands FerretDB implements as unisolated read-modify-write
// (or that change the catalogue those depend on), so they must not overlap.
// Keys are lower case because MongoDB also accepts legacy spellings such as "findandmodify".
var writeCommands = map[string]bool{
	"insert":           true,
	"update":           true,
	"delete":           true,
	"findandmodify":    true,
	"bulkwrite":        true,
	"createindexes":    true,
	"dropindexes":      true,
	"create":           true,
	"drop":             true,
	"dropdatabase":     true,
	"renamecollection": true,
	"collmod":          true,
	"compact":          true,
}

func readMessage(r io.Reader) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}

	n := int32(binary.LittleEndian.Uint32(size[:]))
	if n < headerLen || n > maxMessageLen {
		return nil, fmt.Errorf("invalid wire message length %d", n)
	}

	msg := make([]byte, n)
	copy(msg, size[:])

	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}

	return msg, nil
}

func opCode(msg []byte) int32 {
	return int32(binary.LittleEndian.Uint32(msg[12:16]))
}

func msgFlags(msg []byte) (uint32, bool) {
	if len(msg) < headerLen+4 || opCode(msg) != opMsg {
		return 0, false
	}

	return binary.LittleEndian.Uint32(msg[headerLen:]), true
}

// moreToCome reports, for a request, that the client expects no reply and,
// for a reply, that further replies follow without another request.
func moreToCome(msg []byte) bool {
	flags, ok := msgFlags(msg)
	return ok && flags&flagMoreToCome != 0
}

// commandName returns the first key of an OP_MSG body document, or "" when msg has none.
func commandName(msg []byte) string {
	flags, ok := msgFlags(msg)
	if !ok {
		return ""
	}

	end := len(msg)
	if flags&flagChecksumPresent != 0 {
		end -= 4
	}

	if end < headerLen+4 {
		return ""
	}

	sections := msg[headerLen+4 : end]
	for len(sections) >= 5 {
		kind := sections[0]

		// Both kinds start with an int32 size that counts itself:
		// a BSON document for kind 0, a document sequence for kind 1.
		size := int(int32(binary.LittleEndian.Uint32(sections[1:5])))
		if size < 5 || size > len(sections)-1 {
			return ""
		}

		body := sections[1 : 1+size]

		switch kind {
		case 0:
			// body[4] is the first element's type byte (0 ends an empty document); its key follows.
			if body[4] == 0 {
				return ""
			}

			key, _, found := bytes.Cut(body[5:], []byte{0})
			if !found {
				return ""
			}

			return string(key)
		case 1:
			sections = sections[1+size:]
		default:
			return ""
		}
	}

	return ""
}

// serialized reports whether msg must run alone against FerretDB.
func serialized(msg []byte) bool {
	switch opCode(msg) {
	case opMsg:
		return writeCommands[strings.ToLower(commandName(msg))]
	case opCompressed:
		// Its command is hidden by compression; FerretDB does not advertise compression
		// and rejects such messages anyway, so being cautious costs nothing.
		return true
	default:
		return false
	}
}

// proxy forwards MongoDB wire messages from TCP clients to FerretDB's Unix socket,
// one upstream connection per client, holding a global lock around write commands
// because FerretDB does not isolate concurrent writes from each other.
type proxy struct {
	upstream string
	logger   *slog.Logger

	upstreamTimeout    time.Duration
	clientWriteTimeout time.Duration

	writeMu sync.Mutex

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	shutdown bool
	wg       sync.WaitGroup
}

func newProxy(upstream string, logger *slog.Logger) *proxy {
	return &proxy{
		upstream:           upstream,
		logger:             logger,
		upstreamTimeout:    defaultUpstreamTimeout,
		clientWriteTimeout: defaultClientWriteTimeout,
		conns:              make(map[net.Conn]struct{}),
	}
}

// serve accepts clients until l is closed.
func (p *proxy) serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}

			// Typically EMFILE: back off instead of spinning.
			p.logger.Warn("accept failed", "error", err)
			time.Sleep(100 * time.Millisecond)

			continue
		}

		if !p.track(c) {
			c.Close()
			continue
		}

		p.wg.Add(1)

		go p.handle(c)
	}
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()

	if p.shutdown {
		return false
	}

	p.conns[c] = struct{}{}

	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()

	delete(p.conns, c)
}

// close drops every connection and waits for their goroutines to finish.
func (p *proxy) close() {
	p.mu.Lock()
	p.shutdown = true

	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()

	p.wg.Wait()
}

func (p *proxy) handle(client net.Conn) {
	defer p.wg.Done()
	defer client.Close()
	defer p.untrack(client)

	upstream, err := net.Dial("unix", p.upstream)
	if err != nil {
		p.logger.Error("cannot reach FerretDB", "error", err)
		return
	}

	if !p.track(upstream) {
		upstream.Close()
		return
	}

	defer upstream.Close()
	defer p.untrack(upstream)

	fromClient := bufio.NewReader(client)
	fromUpstream := bufio.NewReader(upstream)

	for {
		req, err := readMessage(fromClient)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				p.logger.Debug("client connection ended", "error", err)
			}

			return
		}

		// Deadlines: a FerretDB that stops answering must not hold the write lock (or this
		// goroutine) forever, nor may a client that stops reading its answers.
		now := time.Now()
		if err := upstream.SetReadDeadline(now.Add(p.upstreamTimeout)); err != nil {
			return
		}

		if err := client.SetWriteDeadline(now.Add(p.clientWriteTimeout)); err != nil {
			return
		}

		if err := p.roundTrip(req, upstream, fromUpstream, client); err != nil {
			p.logger.Debug("round trip failed", "error", err)
			return
		}
	}
}

// roundTrip sends one request upstream and relays its replies to the client.
//
// A serialised (write) request holds the write lock only while FerretDB works on it: its replies are
// read into memory under the lock and written to the client after it is released, so a client that is
// slow to read its answer never stalls every other writer.
func (p *proxy) roundTrip(req []byte, upstream io.Writer, fromUpstream io.Reader, client io.Writer) error {
	if !serialized(req) {
		return p.exchange(req, upstream, fromUpstream, client)
	}

	var replies bytes.Buffer

	p.writeMu.Lock()
	err := p.exchange(req, upstream, fromUpstream, &replies)
	p.writeMu.Unlock()

	if err != nil {
		return err
	}

	_, err = client.Write(replies.Bytes())

	return err
}

// exchange writes req upstream and copies its replies to out.
func (p *proxy) exchange(req []byte, upstream io.Writer, fromUpstream io.Reader, out io.Writer) error {
	if _, err := upstream.Write(req); err != nil {
		return err
	}

	// FerretDB 1.x answers every request, even one flagged moreToCome whose client
	// expects nothing back (an unacknowledged write). That answer is still awaited,
	// so the write lock covers the whole write, and then dropped, so the client's
	// stream stays in step.
	relay := !moreToCome(req)

	for {
		reply, err := readMessage(fromUpstream)
		if err != nil {
			return err
		}

		if relay {
			if _, err := out.Write(reply); err != nil {
				return err
			}
		}

		if !moreToCome(reply) {
			return nil
		}
	}
}

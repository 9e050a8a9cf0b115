package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// bsonDoc encodes {key: int32(1)}, or {} when key is empty.
func bsonDoc(key string) []byte {
	var elems []byte
	if key != "" {
		elems = append(elems, 0x10)
		elems = append(elems, key...)
		elems = append(elems, 0, 1, 0, 0, 0)
	}

	doc := binary.LittleEndian.AppendUint32(nil, uint32(4+len(elems)+1))
	doc = append(doc, elems...)

	return append(doc, 0)
}

func wireMsg(op int32, body []byte) []byte {
	msg := binary.LittleEndian.AppendUint32(nil, uint32(headerLen+len(body)))
	msg = binary.LittleEndian.AppendUint32(msg, 7)
	msg = binary.LittleEndian.AppendUint32(msg, 0)
	msg = binary.LittleEndian.AppendUint32(msg, uint32(op))

	return append(msg, body...)
}

func opMsgWith(flags uint32, sections ...[]byte) []byte {
	body := binary.LittleEndian.AppendUint32(nil, flags)
	for _, s := range sections {
		body = append(body, s...)
	}

	if flags&flagChecksumPresent != 0 {
		body = append(body, 0xde, 0xad, 0xbe, 0xef)
	}

	return wireMsg(opMsg, body)
}

func kind0(key string) []byte {
	return append([]byte{0}, bsonDoc(key)...)
}

func kind1(id string, docs ...[]byte) []byte {
	var payload []byte
	payload = append(payload, id...)
	payload = append(payload, 0)

	for _, d := range docs {
		payload = append(payload, d...)
	}

	s := []byte{1}
	s = binary.LittleEndian.AppendUint32(s, uint32(4+len(payload)))

	return append(s, payload...)
}

func TestCommandName(t *testing.T) {
	t.Parallel()

	for name, tc := range map[string]struct {
		msg  []byte
		want string
	}{
		"body only":              {opMsgWith(0, kind0("findAndModify")), "findAndModify"},
		"sequence before body":   {opMsgWith(0, kind1("documents", bsonDoc("_id"), bsonDoc("_id")), kind0("insert")), "insert"},
		"checksum":               {opMsgWith(flagChecksumPresent, kind0("update")), "update"},
		"empty body":             {opMsgWith(0, kind0("")), ""},
		"no sections":            {opMsgWith(0), ""},
		"unknown section kind":   {opMsgWith(0, []byte{9, 5, 0, 0, 0, 0}), ""},
		"section overruns":       {opMsgWith(0, []byte{0, 0xff, 0, 0, 0, 0x10}), ""},
		"unterminated key":       {opMsgWith(0, []byte{0, 7, 0, 0, 0, 0x10, 'a'}), ""},
		"truncated flags":        {wireMsg(opMsg, []byte{0, 0}), ""},
		"legacy OP_QUERY":        {wireMsg(opQuery, []byte{0, 0, 0, 0}), ""},
		"checksum flag, no room": {opMsgWith(flagChecksumPresent)[:headerLen+4], ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			if got := commandName(tc.msg); got != tc.want {
				t.Errorf("commandName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSerialized(t *testing.T) {
	t.Parallel()

	for name, tc := range map[string]struct {
		msg  []byte
		want bool
	}{
		"findAndModify":        {opMsgWith(0, kind0("findAndModify")), true},
		"legacy findandmodify": {opMsgWith(0, kind0("findandmodify")), true},
		"insert":               {opMsgWith(0, kind0("insert"), kind1("documents", bsonDoc("a"))), true},
		"createIndexes":        {opMsgWith(0, kind0("createIndexes")), true},
		"find":                 {opMsgWith(0, kind0("find")), false},
		"hello":                {opMsgWith(0, kind0("hello")), false},
		"OP_QUERY":             {wireMsg(opQuery, []byte{0, 0, 0, 0}), false},
		"OP_COMPRESSED":        {wireMsg(opCompressed, []byte{0xd5, 7, 0, 0}), true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			if got := serialized(tc.msg); got != tc.want {
				t.Errorf("serialized = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMoreToCome(t *testing.T) {
	t.Parallel()

	if !moreToCome(opMsgWith(flagMoreToCome, kind0("insert"))) {
		t.Error("flag set but not seen")
	}

	if moreToCome(opMsgWith(flagChecksumPresent, kind0("insert"))) {
		t.Error("flag seen but not set")
	}

	if moreToCome(wireMsg(opQuery, []byte{2, 0, 0, 0})) {
		t.Error("OP_QUERY flags mistaken for OP_MSG flags")
	}
}

func TestReadMessage(t *testing.T) {
	t.Parallel()

	a, b := opMsgWith(0, kind0("ping")), opMsgWith(0, kind0("find"))
	r := bytes.NewReader(append(append([]byte{}, a...), b...))

	for _, want := range [][]byte{a, b} {
		got, err := readMessage(r)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("readMessage = %x, %v; want %x", got, err, want)
		}
	}

	if _, err := readMessage(r); err != io.EOF {
		t.Errorf("at end: err = %v, want EOF", err)
	}

	if _, err := readMessage(bytes.NewReader([]byte{3, 0, 0, 0})); err == nil {
		t.Error("length shorter than a header accepted")
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()

	p := newProxy("", slog.New(slog.DiscardHandler))
	reply := opMsgWith(0, kind0("ok"))
	streamed := opMsgWith(flagMoreToCome, kind0("ok"))

	for name, tc := range map[string]struct {
		req, upstream, wantClient []byte
	}{
		"plain": {opMsgWith(0, kind0("find")), reply, reply},
		"moreToCome request gets its reply dropped": {opMsgWith(flagMoreToCome, kind0("insert")), reply, nil},
		"exhaust replies are all relayed": {
			opMsgWith(0, kind0("getMore")),
			append(append([]byte{}, streamed...), reply...),
			append(append([]byte{}, streamed...), reply...),
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			var sent, client bytes.Buffer
			if err := p.roundTrip(tc.req, &sent, bytes.NewReader(tc.upstream), &client); err != nil {
				t.Fatal(err)
			}

			if !bytes.Equal(sent.Bytes(), tc.req) {
				t.Errorf("upstream got %x, want %x", sent.Bytes(), tc.req)
			}

			if !bytes.Equal(client.Bytes(), tc.wantClient) {
				t.Errorf("client got %x, want %x", client.Bytes(), tc.wantClient)
			}
		})
	}
}

// A writer whose client never reads its (large) answer must not keep the write lock: another
// client's write goes through meanwhile.
func TestWriteLockReleasedBeforeReplying(t *testing.T) {
	t.Parallel()

	big := opMsgWith(0, kind0("ok"), kind1("docs", bytes.Repeat([]byte{1}, 8<<20)))
	small := opMsgWith(0, kind0("ok"))
	p := newProxy("", slog.New(slog.DiscardHandler))

	stuck := make(chan struct{})
	entered := make(chan struct{})
	blocked := blockingWriter{release: stuck, entered: entered}

	go func() {
		_ = p.roundTrip(opMsgWith(0, kind0("insert")), io.Discard, bytes.NewReader(big), blocked)
	}()

	// The first writer is now stuck writing its answer to its client.
	<-entered

	done := make(chan error, 1)

	go func() {
		var out bytes.Buffer
		done <- p.roundTrip(opMsgWith(0, kind0("update")), io.Discard, bytes.NewReader(small), &out)
	}()

	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a second write waited for a client that does not read its answer")
	}

	close(stuck)
}

// blockingWriter stands for a client that does not read: Write blocks until released.
type blockingWriter struct{ release, entered chan struct{} }

func (w blockingWriter) Write(b []byte) (int, error) {
	close(w.entered)
	<-w.release
	return len(b), nil
}

// A FerretDB that stops answering costs the client its connection after the deadline, and the
// write lock is free again.
func TestUpstreamDeadline(t *testing.T) {
	t.Parallel()

	sock := filepath.Join(t.TempDir(), "silent.sock")

	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Reads requests, never answers.
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()

	p := newProxy(sock, slog.New(slog.DiscardHandler))
	p.upstreamTimeout = 200 * time.Millisecond

	client, server := net.Pipe()
	defer client.Close()

	p.wg.Add(1)

	go p.handle(server)

	if _, err := client.Write(opMsgWith(0, kind0("insert"))); err != nil {
		t.Fatal(err)
	}

	if err := client.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}

	if _, err := client.Read(make([]byte, 1)); err == nil {
		t.Fatal("got an answer from a silent upstream")
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the proxy kept the connection past its upstream deadline")
	}

	if !p.writeMu.TryLock() {
		t.Fatal("the write lock is still held")
	}
	p.writeMu.Unlock()
}

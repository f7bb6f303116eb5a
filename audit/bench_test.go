//go:build unix

package audit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The peers in this file (JSON encoding alone, SHA-256 of the same bytes,
// raw fsync latency) are the floors the log's figures are compared with;
// run them in the same invocation:
//
//	go test -run '^$' -bench . -benchtime 2s ./audit

// BenchmarkFloorEncodeJSON is encoding/json alone, the floor the issue
// names; BenchmarkEncode is this package's reflection-free encoder of the
// same bytes.
func BenchmarkFloorEncodeJSON(b *testing.B) {
	b.ReportAllocs()
	e := testEvent(1)
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
}

func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	e := testEvent(1)
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := Encode(e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
}

func BenchmarkFloorSHA256(b *testing.B) {
	b.ReportAllocs()
	line, _ := Encode(testEvent(1))
	b.SetBytes(int64(len(line)))
	cpu0 := cpuTime()
	for b.Loop() {
		sha256.Sum256(line)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
}

// BenchmarkFloorFsync is the disk's fsync latency for one small append.
func BenchmarkFloorFsync(b *testing.B) {
	b.ReportAllocs()
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	line, _ := Encode(testEvent(1))
	for b.Loop() {
		if _, err := f.Write(line); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user+system CPU time. The machine these figures
// come from is shared, so besides wall-clock rates the benchmarks report CPU
// time per event, which other load does not inflate as much.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// appendConcurrently splits b.N appends over writers goroutines and reports
// events/s.
func appendConcurrently(b *testing.B, l *Log, writers int) {
	b.Helper()
	ctx := context.Background()
	e := testEvent(1)
	var wg sync.WaitGroup
	per := b.N/writers + 1
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range writers {
		wg.Go(func() {
			for range per {
				if _, err := l.Append(ctx, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(per*writers)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(per*writers), "cpu-ns/event")
}

// BenchmarkMerklePath is the CPU work of one append without I/O and without
// the hand-off to the committer: stable JSON, leaf hash, framing with CRC,
// and the Merkle tree update with node storage (what Log.Append and
// Log.commit do per entry).
func BenchmarkMerklePath(b *testing.B) {
	b.ReportAllocs()
	e := testEvent(1)
	l := &Log{rng: newScanner(nil, nil).rng}
	var buf []byte
	var i uint64
	cpu0 := cpuTime()
	for b.Loop() {
		p, err := encodePrefixed(e)
		if err != nil {
			b.Fatal(err)
		}
		leaf := hashLeafPrefixed(p)
		buf = appendEntryLine(buf[:0], i, p[1:])
		if err := l.rng.Append(leaf, l.store); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
}

// BenchmarkLogAppendMerkle measures appends with the Merkle tree and
// checkpoints maintained, without fsync (WithoutSyncUnsafe). Each writer has
// one append in flight (it waits for its acknowledgement), so a batch holds
// at most one entry per writer.
func BenchmarkLogAppendMerkle(b *testing.B) {
	for _, writers := range []int{8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			b.ReportAllocs()
			l, err := Open(context.Background(), filepath.Join(b.TempDir(), "a.log"), testOrigin, testKey(1), WithoutSyncUnsafe())
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			appendConcurrently(b, l, writers)
		})
	}
}

// BenchmarkLogGroupCommit8 measures fsync'd appends (group commit) under 8
// concurrent writers; compare with BenchmarkFloorFsync.
func BenchmarkLogGroupCommit8(b *testing.B) {
	b.ReportAllocs()
	l, err := Open(context.Background(), filepath.Join(b.TempDir(), "g.log"), testOrigin, testKey(1))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	appendConcurrently(b, l, 8)
}

// BenchmarkVerify1M verifies a generated 1M-event log (checksums, sequence,
// Merkle tree, a signed checkpoint every 4096 entries) read from a file.
func BenchmarkVerify1M(b *testing.B) {
	const n = 1 << 20
	path := filepath.Join(b.TempDir(), "1m.log")
	l, err := Open(context.Background(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			e := testEvent(w)
			for range n / 8 {
				if _, err := l.Append(context.Background(), e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	v := testVerifier(b)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := v.Log(context.Background(), f)
		f.Close()
		if err != nil || rep.Entries != n {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n*b.N), "cpu-ns/event")
}

// BenchmarkLogLookup finds an event by id in a 100k-entry log and proves
// it against the latest checkpoint (one file read, one leaf hash, one
// inclusion proof).
func BenchmarkLogLookup(b *testing.B) {
	const n = 100_000
	l, err := Open(context.Background(), filepath.Join(b.TempDir(), "l.log"), testOrigin, testKey(1), WithoutSyncUnsafe())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	appendN(b, l, n)
	if _, err := l.Checkpoint(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := testEvent(i % n).ID
		if _, err := l.Prove(context.Background(), id); err != nil {
			b.Fatal(err)
		}
		i += 7919
	}
}

// appendN appends testEvent(0..n-1) from 64 concurrent writers.
func appendN(b *testing.B, l *Log, n int) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range 64 {
		wg.Go(func() {
			for i := range next {
				if _, err := l.Append(context.Background(), testEvent(i)); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

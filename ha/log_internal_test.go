package ha

import (
	"bytes"
	"compress/flate"
	"fmt"
	"sync"
	"testing"
)

// entryLike is a group commit's worth of JSON records, n of them, as the
// leader appends under handheld load (about 850 bytes a scan).
func entryLike(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"space":"scan_log","key":"%016x","value":{"record":{"id":"H-%04d-%08d","user":"picker-%04d","device":"TC52-%04d",`+
			`"raw":"0100614141000012%04d","at":"2026-12-03T15:%02d:%02d.%03dZ","attempts":1,"verdict":{"code":"no_task","message":"Take a cart first."}}}}`,
			i, i%1000, i, i%1000, i%1000, i%10000, i%60, i%60, i%1000)
		fmt.Fprintf(&b, `{"space":"pickers","key":"picker-%04d","value":{"user":"picker-%04d","cart":"","scans":%d,"last":"2026-12-03T15:%02d:%02dZ"}}`,
			i%1000, i%1000, i, i%60, i%60)
	}
	return b.Bytes()
}

// TestCompress_roundTrip: what compress writes, decompress gives back,
// from writers and readers shared by many goroutines at once.
func TestCompress_roundTrip(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 40 {
				entry := entryLike(g*40 + n)
				value := compress(valueEntry, entry)
				if value[0] != valueEntry {
					t.Errorf("head %q", value[0])
					return
				}
				got, err := decompress(value[1:])
				if err != nil || !bytes.Equal(got, entry) {
					t.Errorf("%d records: %d bytes back of %d (%v)", g*40+n, len(got), len(entry), err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzDecompress: a damaged log value is an error, never a panic, and
// leaves the pooled reader fit for the next value.
func FuzzDecompress(f *testing.F) {
	f.Add(compress(valueEntry, entryLike(3))[1:])
	f.Add([]byte{})
	f.Add([]byte{0xff, 0x00, 0x13})
	want := entryLike(2)
	good := compress(valueEntry, want)[1:]
	f.Fuzz(func(t *testing.T, data []byte) {
		decompress(data)
		got, err := decompress(good)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("a good value after a damaged one: %v", err)
		}
	})
}

// BenchmarkCompress: one group commit's entry (14 scans, the mean under
// 2,000 scans/s on etcd) deflated by a pooled writer, and by a writer
// made for it as the leader did before.
//
//	go test ./ha -run '^$' -bench Compress
func BenchmarkCompress(b *testing.B) {
	entry := entryLike(14)
	b.Run("pooled", func(b *testing.B) {
		b.SetBytes(int64(len(entry)))
		for b.Loop() {
			compress(valueEntry, entry)
		}
	})
	b.Run("new writer", func(b *testing.B) {
		b.SetBytes(int64(len(entry)))
		for b.Loop() {
			var buf bytes.Buffer
			buf.WriteByte(valueEntry)
			w, _ := flate.NewWriter(&buf, flate.BestSpeed)
			w.Write(entry)
			w.Close()
		}
	})
}

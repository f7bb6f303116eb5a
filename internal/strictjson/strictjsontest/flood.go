package strictjsontest

import (
	"bytes"
	"runtime"
	"strconv"
)

// Allocated is the bytes f allocates in total, counted from a collected
// heap. Tests that call it must not run in parallel.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// MemberFlood is the object head (its opening brace and known members,
// without the closing brace) followed by members `"<prefix>N":0` up to
// about size bytes, and closed: a document of unknown members that a
// parser must not pay for one by one.
func MemberFlood(head, prefix string, size int) []byte {
	b := bytes.NewBufferString(head)
	for i := 0; b.Len() < size-32; i++ {
		b.WriteString(`,"`)
		b.WriteString(prefix)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`":0`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

package httpx

import (
	"bytes"
	"hash/maphash"
	"sync/atomic"
)

// Clients poll: the same session is read again and again, and each answer
// is the same bytes as the last until something changes. What capture makes
// of a body is a function of its bytes and content type alone, so what the
// masker made of a body seen more than once is remembered and copied for
// the next one, rather than worked out again. A body is remembered on its
// second sighting only, so bodies seen once (every created session's) cost
// a hash and nothing more. The memo compares whole bodies, not hashes, so
// it keeps a copy of each body it remembers: bytes the emulator already
// holds (the state answers were made from), never shown to anyone.

// memoSlots is how many masked bodies are remembered; memoMax bounds the
// size of each.
const (
	memoSlots = 32
	memoMax   = 4 << 10
)

// memoEntry is one remembered body and what capture made of it.
type memoEntry struct {
	hash        uint64
	contentType string
	in          []byte
	body        Body // its JSON is the masked document, never handed out itself
	refs        [][]byte
}

type maskMemo struct {
	seed  maphash.Seed
	seen  [memoSlots]atomic.Uint64
	slots [memoSlots]atomic.Pointer[memoEntry]
}

var memo = maskMemo{seed: maphash.MakeSeed()}

// capture is (*Body).capture of a whole response body, through the memo:
// out and buf are filled as that would fill them. On a hit the ids
// returned are the memo's own, to be read and not changed.
func (mm *maskMemo) capture(out *Body, contentType string, b, buf []byte, refs [][]byte) ([]byte, [][]byte) {
	if len(b) > memoMax {
		return out.capture(contentType, b, int64(len(b)), buf, refs)
	}
	h := maphash.Bytes(mm.seed, b)
	slot := h % memoSlots
	if e := mm.slots[slot].Load(); e != nil && e.hash == h && e.contentType == contentType && bytes.Equal(e.in, b) {
		*out = e.body
		if e.body.JSON != nil {
			buf = append(buf[:0], e.body.JSON...)
			out.JSON = buf
		}
		return buf, e.refs
	}
	buf, refs = out.capture(contentType, b, int64(len(b)), buf, refs)
	if mm.seen[slot].Swap(h) == h {
		e := &memoEntry{hash: h, contentType: contentType, in: bytes.Clone(b), body: *out}
		e.body.JSON = bytes.Clone(out.JSON)
		for _, r := range refs {
			e.refs = append(e.refs, bytes.Clone(r))
		}
		mm.slots[slot].Store(e)
	}
	return buf, refs
}

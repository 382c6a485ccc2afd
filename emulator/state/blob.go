package state

type blob struct {
	size int64
	gen  uint64 // which put of the name this is
	// mem holds the bytes when the store has no backend (with one they
	// are read back on demand).
	mem []byte
}

type blobRef struct {
	r    *Record
	name string
	gen  uint64
}

// blobQueue holds blobs in the order they were stored, oldest first;
// entries of blobs since replaced or deleted are skipped when reached.
type blobQueue struct {
	items  []blobRef
	head   int
	tenant bool
	gen    uint64 // the store's last generation (only on the store's queue)
}

func (q *blobQueue) push(b blobRef) { q.items = append(q.items, b) }

// oldest removes and returns the oldest blob still stored; the caller
// holds Store.mu.
func (q *blobQueue) oldest() (blobRef, bool) {
	for q.head < len(q.items) {
		b := q.items[q.head]
		q.items[q.head] = blobRef{}
		q.head++
		if q.head > 64 && q.head > len(q.items)/2 {
			q.items = append([]blobRef(nil), q.items[q.head:]...)
			q.head = 0
		}
		if m, ok := b.r.blobs[b.name]; ok && !b.r.dead && m.gen == b.gen {
			return b, true
		}
	}
	return blobRef{}, false
}

// addBlob accounts a stored blob; the caller holds the tenant lock.
func (s *Store) addBlob(r *Record, name string, data []byte) {
	size := int64(len(data))
	s.mu.Lock()
	if old, ok := r.blobs[name]; ok {
		s.blobBytes -= old.size
		r.t.blobBytes -= old.size
	}
	if r.blobs == nil {
		r.blobs = map[string]blob{}
	}
	s.blobs.gen++
	ref := blobRef{r: r, name: name, gen: s.blobs.gen}
	b := blob{size: size, gen: ref.gen}
	if !s.Durable() {
		b.mem = data
	}
	r.blobs[name] = b
	s.blobBytes += size
	r.t.blobBytes += size
	s.blobs.push(ref)
	r.t.blobs.push(ref)
	s.mu.Unlock()
}

// dropBlob forgets a blob; the caller holds the tenant lock.
func (s *Store) dropBlob(r *Record, name string) {
	s.mu.Lock()
	if m, ok := r.blobs[name]; ok {
		s.blobBytes -= m.size
		r.t.blobBytes -= m.size
		delete(r.blobs, name)
	}
	s.mu.Unlock()
}

func (s *Store) readBlob(key []byte) ([]byte, error) {
	if err := s.commit.enqueue(nil).wait(); err != nil {
		return nil, err
	}
	return s.cfg.Backend.Get(nsBlobs, key)
}

// enforceBlobs drops the oldest blobs while cur or the store is over its
// byte budget.
func (s *Store) enforceBlobs(cur *tenant) {
	for {
		s.mu.Lock()
		var b blobRef
		ok := false
		if lim := s.lim.BlobBytesPerTenant; lim > 0 && cur.blobBytes > lim {
			b, ok = cur.blobs.oldest()
		} else if lim := s.lim.BlobBytes; lim > 0 && s.blobBytes > lim {
			b, ok = s.blobs.oldest()
		}
		s.mu.Unlock()
		if !ok {
			return
		}
		t := b.r.t
		t.mu.Lock()
		if m, still := b.r.blobs[b.name]; still && !b.r.gone && m.gen == b.gen {
			tx := newTx(t, true)
			tx.DeleteBlob(b.r, b.name)
			tx.finish()
			tx.release()
			s.blobsEvicted.Add(1)
		}
		t.mu.Unlock()
	}
}

package csvimport

import (
	"hash/maphash"
	"math/bits"
)

// dupIndex remembers the first row of each key in 12 bytes a slot: a 64-bit
// hash and the row number, side by side so a probe touches one cache line.
// Keys are not kept, so two different keys with the same hash would be taken
// for duplicates; for a file of a million rows the chance is about 1 in 37
// million (n²/2⁶⁵), and the row is then reported as a duplicate of a row the
// administrator can look at.
//
// Linear probing stays fast up to 80% load, where the table grows: by
// doubling while small, by half once large, to bound the spike of old and
// new tables. A size hint (from the file's size) usually avoids growth.
type dupIndex struct {
	seed  maphash.Seed
	slots []uint32 // 3 per slot: hash low, hash high, row; hash 0 = empty
	n     uint64   // slots
	count uint64
}

// newDupIndex returns an index sized for about expected keys (0: unknown).
func newDupIndex(expected int) *dupIndex {
	n := uint64(4096)
	if want := uint64(expected) * 5 / 4; want > n {
		n = min(want, 3<<20) // a wrong hint costs at most 36 MB
	}
	return &dupIndex{seed: maphash.MakeSeed(), slots: make([]uint32, 3*n), n: n}
}

// hash returns key's hash for firstRowHash (never 0, which marks empty).
func (d *dupIndex) hash(key string) uint64 { return maphash.String(d.seed, key) | 1 }

// touch reads the home slot of h, so that a batch of lookups brings its
// cache lines in together instead of waiting for each in turn.
func (d *dupIndex) touch(h uint64) uint32 {
	i, _ := bits.Mul64(h, d.n)
	return d.slots[3*i]
}

// firstRowHash returns the row that first had the key hashed to h (by
// hash), recording row if none did.
func (d *dupIndex) firstRowHash(h uint64, row int) (int, bool) {
	i, found := d.find(h)
	if found {
		return int(d.slots[3*i+2]), true
	}
	if (d.count+1)*5 > d.n*4 {
		d.grow()
		i, _ = d.find(h)
	}
	d.slots[3*i], d.slots[3*i+1], d.slots[3*i+2] = uint32(h), uint32(h>>32), uint32(row)
	d.count++
	return 0, false
}

// find returns the slot holding h, or the empty slot where it would go.
func (d *dupIndex) find(h uint64) (uint64, bool) {
	lo, hi := uint32(h), uint32(h>>32)
	i, _ := bits.Mul64(h, d.n) // h scaled onto [0, n)
	for {
		s := d.slots[3*i : 3*i+3 : 3*i+3]
		switch {
		case s[0] == lo && s[1] == hi:
			return i, true
		case s[0] == 0 && s[1] == 0:
			return i, false
		}
		if i++; i == d.n {
			i = 0
		}
	}
}

func (d *dupIndex) grow() {
	old := d.slots
	if d.n < 1<<19 {
		d.n *= 2
	} else {
		d.n += d.n / 2
	}
	d.slots = make([]uint32, 3*d.n)
	for j := 0; j < len(old); j += 3 {
		if old[j] != 0 || old[j+1] != 0 {
			h := uint64(old[j]) | uint64(old[j+1])<<32
			i, _ := d.find(h)
			d.slots[3*i], d.slots[3*i+1], d.slots[3*i+2] = old[j], old[j+1], old[j+2]
		}
	}
}

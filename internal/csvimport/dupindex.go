package csvimport

import (
	"hash/maphash"
	"math/bits"
)

// dupIndex remembers the first row of each key with 12 bytes a slot: a
// 64-bit hash and the row number. Keys are not kept, so two different keys
// with the same hash would be taken for duplicates; for a file of a million
// rows the chance is about 1 in 37 million, and the row is then reported as a
// duplicate of a row the administrator can look at. It grows by half at 80%
// load so its peak (old and new slots during growth) stays near 25 MB for a
// million rows.
type dupIndex struct {
	seed  maphash.Seed
	keys  []uint64 // 0 marks an empty slot
	rows  []uint32
	count int
}

func newDupIndex() *dupIndex {
	return &dupIndex{seed: maphash.MakeSeed(), keys: make([]uint64, 1024), rows: make([]uint32, 1024)}
}

// firstRow returns the row that first had key, recording row if none did.
func (d *dupIndex) firstRow(key string, row int) (int, bool) {
	h := maphash.String(d.seed, key) | 1
	if i, ok := d.find(h); ok {
		return int(d.rows[i]), true
	}
	if (d.count+1)*5 > len(d.keys)*4 {
		d.grow()
	}
	i, _ := d.find(h)
	d.keys[i], d.rows[i] = h, uint32(row)
	d.count++
	return 0, false
}

// find returns the slot holding h, or the empty slot where it would go.
func (d *dupIndex) find(h uint64) (int, bool) {
	n := uint64(len(d.keys))
	i, _ := bits.Mul64(h, n) // h scaled onto [0, n)
	for {
		switch d.keys[i] {
		case h:
			return int(i), true
		case 0:
			return int(i), false
		}
		if i++; i == n {
			i = 0
		}
	}
}

func (d *dupIndex) grow() {
	oldKeys, oldRows := d.keys, d.rows
	n := len(oldKeys) + len(oldKeys)/2
	d.keys, d.rows = make([]uint64, n), make([]uint32, n)
	for j, h := range oldKeys {
		if h != 0 {
			i, _ := d.find(h)
			d.keys[i], d.rows[i] = h, oldRows[j]
		}
	}
}

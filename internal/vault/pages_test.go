package vault

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/mysafe/mysafe/internal/audit"
)

// pageRole says where a page of a bbolt file sits: in which bucket
// (slash-separated path, "" for the top level), at which depth below the
// bucket's root (0), and what it is.
type pageRole struct {
	bucket   string
	depth    int
	kind     string // "branch", "leaf", "overflow", "meta", "freelist"
	elements int
	keys     []string // of a leaf page's elements
}

const bucketLeafFlag = 0x01 // a leaf element that is a bucket

// pageRoles maps every page of the newest commit of a bbolt file to its
// role, reading the file's bytes directly.
func pageRoles(t testing.TB, file []byte) (map[uint64]pageRole, int) {
	t.Helper()
	m0, ok0 := parseMeta(file)
	ps := int(m0.pageSize)
	if !ok0 {
		t.Fatal("first meta page does not parse")
	}
	m := m0
	metaID := uint64(0)
	if m1, ok := parseMeta(file[ps:]); ok && m1.txid > m0.txid {
		m, metaID = m1, 1
	}
	roles := map[uint64]pageRole{metaID: {kind: "meta"}}
	fl := file[int(m.freelist)*ps:]
	for i := range binary.LittleEndian.Uint32(fl[12:]) + 1 {
		roles[m.freelist+uint64(i)] = pageRole{kind: "freelist"}
	}
	var walkPage func(bucket string, depth int, p []byte, id uint64)
	var walkBucket func(bucket string, val []byte)
	walkElems := func(bucket string, depth int, p []byte) {
		flags := binary.LittleEndian.Uint16(p[8:])
		count := int(binary.LittleEndian.Uint16(p[10:]))
		for i := range count {
			e := p[pageHeaderSize+16*i:]
			at := pageHeaderSize + 16*i
			if flags&branchPageFlag != 0 {
				child := binary.LittleEndian.Uint64(e[8:])
				walkPage(bucket, depth+1, file[int(child)*ps:], child)
				continue
			}
			if binary.LittleEndian.Uint32(e)&bucketLeafFlag == 0 {
				continue
			}
			pos := at + int(binary.LittleEndian.Uint32(e[4:]))
			ks := int(binary.LittleEndian.Uint32(e[8:]))
			vs := int(binary.LittleEndian.Uint32(e[12:]))
			name := string(p[pos : pos+ks])
			if bucket != "" {
				name = bucket + "/" + name
			}
			walkBucket(name, p[pos+ks:pos+ks+vs])
		}
	}
	walkPage = func(bucket string, depth int, p []byte, id uint64) {
		flags := binary.LittleEndian.Uint16(p[8:])
		kind := "leaf"
		if flags&branchPageFlag != 0 {
			kind = "branch"
		}
		n := int(binary.LittleEndian.Uint16(p[10:]))
		var keys []string
		for i := 0; kind == "leaf" && i < n; i++ {
			e := p[pageHeaderSize+16*i:]
			pos := pageHeaderSize + 16*i + int(binary.LittleEndian.Uint32(e[4:]))
			keys = append(keys, string(p[pos:pos+int(binary.LittleEndian.Uint32(e[8:]))]))
		}
		roles[id] = pageRole{bucket: bucket, depth: depth, kind: kind, elements: n, keys: keys}
		for i := range binary.LittleEndian.Uint32(p[12:]) {
			roles[id+uint64(i)+1] = pageRole{bucket: bucket, depth: depth, kind: "overflow", elements: n}
		}
		walkElems(bucket, depth, p)
	}
	walkBucket = func(bucket string, val []byte) {
		rootID := binary.LittleEndian.Uint64(val)
		if rootID == 0 {
			walkElems(bucket, 0, val[16:]) // inline: lives in its parent's page
			return
		}
		walkPage(bucket, 0, file[int(rootID)*ps:], rootID)
	}
	metaPage := file[int(metaID)*ps:]
	walkPage("", 0, file[int(binary.LittleEndian.Uint64(metaPage[pageHeaderSize+16:]))*ps:], binary.LittleEndian.Uint64(metaPage[pageHeaderSize+16:]))
	return roles, ps
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// growLeaf adds records whose identifier hint and index entry both live in
// index leaf n until the leaf is more than size bytes.
func growLeaf(t testing.TB, tx *Tx, n, size int) {
	t.Helper()
	for {
		l, err := tx.leafPage(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.marshal()) > size {
			return
		}
		i := len(l.entries) // grows with every record added
		ident := ""
		for j := 0; ident == ""; j++ {
			if c := fmt.Sprintf("big-%d-%d-%d", n, i, j); leafOf(kindIdent, tx.identHint(c)) == n {
				ident = c
			}
		}
		r := rec(fmt.Sprintf("big-%d-%d", n, i), ident)
		r.ID = newRecordID(n)
		if err := tx.Put(r); err != nil {
			t.Fatal(err)
		}
	}
}

// indexPageProblems lists index pages of the file at path that have an
// overflow page or hold more than one of the given leaves.
func indexPageProblems(t testing.TB, path string, leaves []int) []string {
	t.Helper()
	big := map[string]bool{}
	for _, n := range leaves {
		big[string(leafKey(n))] = true
	}
	roles, _ := pageRoles(t, readFile(t, path))
	var out []string
	for id, r := range roles {
		if r.bucket != string(bucketIndex) {
			continue
		}
		if r.kind == "overflow" {
			out = append(out, fmt.Sprintf("page %d is an overflow page", id))
		}
		held := 0
		for _, k := range r.keys {
			if big[k] {
				held++
			}
		}
		if held > 1 {
			out = append(out, fmt.Sprintf("page %d holds %d of the large leaves", id, held))
		}
	}
	return out
}

// TestLargeIndexLeavesNeedNoOverflowPages: index leaves of more than 2 KiB
// (in a vault of 100,000 records about half of them are) each get a bbolt
// page of their own, thanks to their spacers, so that changing one never
// rewrites a second leaf or an overflow page. Without spacers, bbolt keeps
// two of three such neighbours on one page with an overflow page (it never
// splits a page of four values or fewer).
func TestLargeIndexLeavesNeedNoOverflowPages(t *testing.T) {
	v, path := newVault(t)
	defer v.Close()
	leaves := []int{1000, 1001, 1002}
	err := v.Update(func(tx *Tx) error {
		if err := tx.loadRoot(); err != nil {
			return err
		}
		for _, n := range leaves {
			growLeaf(t, tx, n, 2100)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := indexPageProblems(t, path, leaves); len(p) > 0 {
		t.Fatalf("after filling: %s", strings.Join(p, "; "))
	}
	// Adds that make the leaves larger still, one commit each.
	rounds := 5
	if raceEnabled {
		rounds = 1
	}
	for range rounds {
		err := v.Update(func(tx *Tx) error {
			for _, n := range leaves {
				l, _ := tx.leafPage(n)
				growLeaf(t, tx, n, len(l.marshal())+100)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := indexPageProblems(t, path, leaves); len(p) > 0 {
		t.Fatalf("after adds: %s", strings.Join(p, "; "))
	}
	if rep, err := v.Check(false); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

// TestCheckSpacers: check accepts the empty spacers of the index's leaves
// and reports a spacer that holds something or follows no leaf.
func TestCheckSpacers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spacer func(leaf, absent int) (key, val []byte) // absent: a leaf the index does not hold
	}{
		{"holding a value", func(n, _ int) ([]byte, []byte) { return spacerKey(n, 2), []byte("hidden") }},
		{"after no leaf", func(_, absent int) ([]byte, []byte) { return spacerKey(absent, 1), []byte{} }},
		{"out of range", func(n, _ int) ([]byte, []byte) { return spacerKey(n, spacersPerLeaf+1), []byte{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := newVault(t)
			defer v.Close()
			r := rec("alpha", "a")
			add(t, v, r)
			if rep, err := v.Check(false); err != nil || !rep.OK() {
				t.Fatalf("check before: %+v %v", rep, err)
			}
			var n int
			err := v.db.Update(func(btx *bolt.Tx) error {
				n = leafOf(kindIdent, newTx(v, btx, v.keys).identHint("a"))
				if got, _ := btx.Bucket(bucketIndex).Cursor().Seek(spacerKey(n, 1)); !bytes.Equal(got, spacerKey(n, 1)) {
					t.Errorf("leaf %d has no spacer", n)
				}
				absent := 0
				for btx.Bucket(bucketIndex).Get(leafKey(absent)) != nil {
					absent++
				}
				k, val := tc.spacer(n, absent)
				return btx.Bucket(bucketIndex).Put(k, val)
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := v.Check(false); err != nil || rep.OK() {
				t.Fatalf("check missed the spacer: %+v %v", rep, err)
			}
		})
	}
}

// indexBranches returns, for each branch page right above the index
// bucket's leaves (the root itself while the index has one level of
// branch pages, those one level below it when it has two), the keys of the
// leaves under it, in order, reading the newest commit of the file's bytes.
func indexBranches(t testing.TB, file []byte) [][]string {
	t.Helper()
	roles, ps := pageRoles(t, file)
	var root uint64
	found := false
	for id, r := range roles {
		if r.bucket == "index" && r.depth == 0 && r.kind == "branch" {
			root, found = id, true
		}
	}
	if !found {
		t.Fatal("the index has no branch page at its root")
	}
	children := func(id uint64) []uint64 {
		p := file[int(id)*ps:]
		var out []uint64
		for i := range int(binary.LittleEndian.Uint16(p[10:])) {
			out = append(out, binary.LittleEndian.Uint64(p[pageHeaderSize+16*i+8:]))
		}
		return out
	}
	if roles[children(root)[0]].kind == "leaf" {
		var keys []string // one level of branch pages: the root
		for _, l := range children(root) {
			keys = append(keys, roles[l].keys...)
		}
		return [][]string{keys}
	}
	var out [][]string
	for _, b := range children(root) {
		var keys []string
		for _, l := range children(b) {
			keys = append(keys, roles[l].keys...)
		}
		out = append(out, keys)
	}
	return out
}

// TestLogEndStaysWithMiddlePages: as the audit log grows by commits that
// only record uses, bbolt splits the branch pages above the log's end again
// and again; every split keeps the log's last page under the branch page of
// the 64 middle pages, so that a change with its log entry writes one
// branch page for both, however long the log.
func TestLogEndStaysWithMiddlePages(t *testing.T) {
	v, path := newVault(t)
	r := rec("payments", "pay")
	add(t, v, r)
	if err := v.Update(func(tx *Tx) error {
		for i := range 400 { // leaves under every middle page
			if err := tx.Put(rec(fmt.Sprintf("record-%d", i), fmt.Sprintf("id-%d", i))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e := audit.Entry{Action: audit.Reveal, RecordID: r.ID, Name: r.Name, Identifier: r.Identifier, Detail: "client-secret",
		Actor: audit.Actor{User: "someone", Host: "a-host.example.com", Job: "github:1234567890/1"}}
	splits := 0
	last := 0
	for range 80 {
		if err := v.Update(func(tx *Tx) error {
			for range 100 {
				if err := tx.Log(e); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		branches := indexBranches(t, readFile(t, path))
		if len(branches) != last {
			splits, last = splits+1, len(branches)
		}
		isMid := func(k string) bool { return len(k) == 1 && k[0] >= midKeyBase && k[0] < midKeyBase+numMids }
		mids := 0
		for _, b := range branches {
			for _, k := range b {
				if isMid(k) {
					mids++
				}
			}
		}
		end := branches[len(branches)-1]
		midsAtEnd, logEnd := 0, false
		for _, k := range end {
			switch {
			case isMid(k):
				midsAtEnd++
			case len(k) == 9 && k[0] == logPrefix:
				logEnd = true
			}
		}
		if mids != numMids || midsAtEnd != mids || !logEnd {
			t.Fatalf("with %d branch pages in the index, the last holds %d of the %d middle pages, and the log's end: %v", len(branches), midsAtEnd, mids, logEnd)
		}
	}
	if splits < 3 {
		t.Fatalf("the log made %d branch pages in the index; the test needs more", last)
	}
}

package files

// lineDiff marks which lines of a are deleted and which lines of b are inserted, using Myers' O(ND) algorithm
// in its linear-space (middle snake) form. For ordinary edits the result is a minimal diff. A subproblem whose
// edit distance exceeds a budget derived from its size is marked as wholly replaced instead, which keeps the
// worst case near 5e7 steps per subproblem; the diff is then still correct, just not minimal.
func lineDiff(a, b []int) (delA, insB []bool) {
	d := differ{a: a, b: b, delA: make([]bool, len(a)), insB: make([]bool, len(b))}
	n := len(a) + len(b)
	d.vf = make([]int, 2*n+3)
	d.vb = make([]int, 2*n+3)
	d.compare(0, len(a), 0, len(b))
	return d.delA, d.insB
}

type differ struct {
	a, b       []int
	delA, insB []bool
	vf, vb     []int // reused across calls: compare uses them only before it recurses
}

func (d *differ) compare(aLo, aHi, bLo, bHi int) {
	for aLo < aHi && bLo < bHi && d.a[aLo] == d.b[bLo] {
		aLo++
		bLo++
	}
	for aLo < aHi && bLo < bHi && d.a[aHi-1] == d.b[bHi-1] {
		aHi--
		bHi--
	}
	if aLo == aHi || bLo == bHi {
		d.replace(aLo, aHi, bLo, bHi)
		return
	}
	x, y, u, v, ok := d.midSnake(aLo, aHi, bLo, bHi)
	if !ok || (x == aLo && y == bLo && u == aHi && v == bHi) {
		d.replace(aLo, aHi, bLo, bHi)
		return
	}
	d.compare(aLo, x, bLo, y)
	d.compare(u, aHi, v, bHi)
}

func (d *differ) replace(aLo, aHi, bLo, bHi int) {
	for i := aLo; i < aHi; i++ {
		d.delA[i] = true
	}
	for j := bLo; j < bHi; j++ {
		d.insB[j] = true
	}
}

// midSnake finds the middle snake of a[aLo:aHi] against b[bLo:bHi]: a run of equal lines (x,y)-(u,v) that some
// shortest edit script passes through, splitting the problem in two. ok is false when the budget runs out.
func (d *differ) midSnake(aLo, aHi, bLo, bHi int) (x, y, u, v int, ok bool) {
	a, b := d.a[aLo:aHi], d.b[bLo:bHi]
	n, m := len(a), len(b)
	delta := n - m
	odd := delta&1 != 0
	off := n + m + 1
	vf, vb := d.vf, d.vb
	vf[off+1], vb[off+1] = 0, 0
	budget := max(64, 50_000_000/(n+m))
	for dd := 0; dd <= (n+m+1)/2; dd++ {
		if dd > budget {
			return 0, 0, 0, 0, false
		}
		for k := -dd; k <= dd; k += 2 {
			var px int
			if k == -dd || (k != dd && vf[off+k-1] < vf[off+k+1]) {
				px = vf[off+k+1]
			} else {
				px = vf[off+k-1] + 1
			}
			py := px - k
			sx, sy := px, py
			for px < n && py < m && a[px] == b[py] {
				px++
				py++
			}
			vf[off+k] = px
			if kr := delta - k; odd && kr >= -(dd-1) && kr <= dd-1 && px+vb[off+kr] >= n {
				return aLo + sx, bLo + sy, aLo + px, bLo + py, true
			}
		}
		for kr := -dd; kr <= dd; kr += 2 {
			var rx int
			if kr == -dd || (kr != dd && vb[off+kr-1] < vb[off+kr+1]) {
				rx = vb[off+kr+1]
			} else {
				rx = vb[off+kr-1] + 1
			}
			ry := rx - kr
			sx, sy := rx, ry
			for rx < n && ry < m && a[n-1-rx] == b[m-1-ry] {
				rx++
				ry++
			}
			vb[off+kr] = rx
			if k := delta - kr; !odd && k >= -dd && k <= dd && rx+vf[off+k] >= n {
				return aLo + n - rx, bLo + m - ry, aLo + n - sx, bLo + m - sy, true
			}
		}
	}
	return 0, 0, 0, 0, false
}

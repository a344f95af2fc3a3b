package cli

import (
	"bufio"
	"io"

	"github.com/mysafe/mysafe/internal/display"
)

// writeAligned writes rows as columns separated by two spaces, each column
// as wide as its widest cell (counted in runes), with no trailing spaces.
// Every cell is escaped for the terminal (display.Safe) first, so a cell
// cannot move the cursor, break a line or start a new column. It buffers the
// output: a table of ten thousand rows is one write, not tens of thousands.
func writeAligned(w io.Writer, rows [][]string) error {
	ncols := 0
	for _, row := range rows {
		ncols = max(ncols, len(row))
	}
	widths := make([]int, 0, len(rows)*ncols) // every cell's width, row after row
	for _, row := range rows {
		for i, cell := range row {
			row[i] = display.Safe(cell)
			widths = append(widths, display.Width(row[i]))
		}
		for range ncols - len(row) {
			widths = append(widths, -1)
		}
	}
	colWidths := make([]int, ncols)
	for i, cw := range widths {
		colWidths[i%max(ncols, 1)] = max(colWidths[i%max(ncols, 1)], cw)
	}
	return writeColumns(w, len(rows), colWidths, func(r, c int) (string, int) {
		if c >= len(rows[r]) {
			return "", -1
		}
		return rows[r][c], widths[r*ncols+c]
	})
}

// writeColumns writes n rows of len(widths) columns separated by two
// spaces, column c widths[c] wide (the width of its widest cell), with no
// trailing spaces. cell returns a cell, already escaped for the terminal,
// and its width; a width of -1 ends the row there.
func writeColumns(w io.Writer, n int, widths []int, cell func(r, c int) (string, int)) error {
	ncols := len(widths)
	bw := bufio.NewWriterSize(w, 64<<10)
	for r := range n {
		pad := 0
		for c := range ncols {
			s, cw := cell(r, c)
			if cw < 0 {
				break
			}
			writeSpaces(bw, pad)
			bw.WriteString(s)
			pad = widths[c] - cw + 2
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// spaces pads table cells without allocating.
const spaces = "                                                                "

func writeSpaces(bw *bufio.Writer, n int) {
	for n > len(spaces) {
		bw.WriteString(spaces)
		n -= len(spaces)
	}
	bw.WriteString(spaces[:n])
}

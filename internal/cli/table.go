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
	var widths []int
	cellWidths := make([][]int, len(rows))
	ncols := 0
	if len(rows) > 0 {
		ncols = len(rows[0])
	}
	flat := make([]int, 0, len(rows)*ncols) // every cell's width, row after row
	for r, row := range rows {
		start := len(flat)
		for i, cell := range row {
			cell = display.Safe(cell)
			row[i] = cell
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			cw := display.Width(cell)
			widths[i] = max(widths[i], cw)
			flat = append(flat, cw)
		}
		cellWidths[r] = flat[start:len(flat):len(flat)]
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for r, row := range rows {
		for i, cell := range row {
			bw.WriteString(cell)
			if i < len(row)-1 {
				writeSpaces(bw, widths[i]-cellWidths[r][i]+2)
			}
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

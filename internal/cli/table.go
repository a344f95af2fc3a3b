package cli

import (
	"bufio"
	"io"
	"strings"

	"github.com/mysafe/mysafe/internal/display"
)

// writeAligned writes rows as columns separated by two spaces, each column
// as wide as its widest cell (counted in runes), with no trailing spaces.
// Every cell is escaped for the terminal (display.Safe) first, so a cell
// cannot move the cursor, break a line or start a new column. It buffers the
// output: a table of ten thousand rows is one write, not tens of thousands.
func writeAligned(w io.Writer, rows [][]string) error {
	for _, row := range rows {
		for i, cell := range row {
			row[i] = display.Safe(cell)
		}
	}
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], display.Width(cell))
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, row := range rows {
		for i, cell := range row {
			bw.WriteString(cell)
			if i < len(row)-1 {
				bw.WriteString(strings.Repeat(" ", widths[i]-display.Width(cell)+2))
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

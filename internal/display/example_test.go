package display_test

import (
	"fmt"

	"github.com/mysafe/mysafe/internal/display"
)

func ExampleSafe() {
	fmt.Println(display.Safe("payments\x1b]52;c;aGk=\x07"))
	fmt.Println(display.Safe("invoice\u202etxt.exe"))
	fmt.Println(display.Safe("Zürich 支付 🔑"))
	// Output:
	// payments\x1b]52;c;aGk=\x07
	// invoice\u202etxt.exe
	// Zürich 支付 🔑
}

func ExampleWidth() {
	fmt.Println(display.Width("payments"), display.Width("支付"), display.Width("Zu\u0308rich"))
	// Output:
	// 8 4 6
}

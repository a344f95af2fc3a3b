package clipboard_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mysafe/mysafe/internal/clipboard"
)

// The program must hand HelperArg to RunClearHelper before anything else:
// first thing in main (or cli.Main), ahead of flags, configuration and the
// vault, since the helper runs detached from any terminal. Cancelling the
// context on SIGTERM makes a helper that is being stopped (logout, shutdown)
// clear at once instead of never.
func ExampleRunClearHelper() {
	if len(os.Args) == 2 && os.Args[1] == clipboard.HelperArg {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		err := clipboard.RunClearHelper(ctx, os.Stdin, clipboard.SystemEnv())
		stop()
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	// ... the normal command line ...
}

// What `mysafe reveal REF --copy` does with the value it read from the vault.
func ExampleCopy() {
	value := []byte("sk_live_...") // from the vault; never printed
	clearAfter := 45 * time.Second // --clear-after, or clipboard.clear_after
	forceOSC52 := false            // --osc52

	opts := clipboard.Options{ClearAfter: clearAfter, OSC52: forceOSC52}
	// Set Terminal only when the terminal opened: a nil *os.File in the
	// interface would count as a terminal.
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		opts.Terminal = tty
	}
	res, err := clipboard.Copy(context.Background(), clipboard.SystemEnv(), value, opts)
	if err != nil {
		// errors.Is(err, clipboard.ErrUnavailable) for "no clipboard";
		// the message carries the hint.
		fmt.Fprintln(os.Stderr, "mysafe:", err)
		return
	}
	switch {
	case res.ClearScheduled:
		fmt.Fprintf(os.Stderr, "copied to the clipboard (%s); it will be cleared in %v\n", res.Backend, res.ClearAfter)
	case res.Backend == clipboard.OSC52:
		fmt.Fprintln(os.Stderr, "copied through the terminal (OSC 52); nothing can clear it automatically: copy something else when done")
	default:
		fmt.Fprintf(os.Stderr, "copied to the clipboard (%s); it will not be cleared\n", res.Backend)
	}
}

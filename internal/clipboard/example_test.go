package clipboard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/mysafe/mysafe/internal/clipboard"
)

// The program hands HelperArg to RunClearHelper before anything else, first
// thing in main (or cli.Main), ahead of flags, configuration and the vault,
// since the helper runs detached from any terminal:
//
//	if len(os.Args) == 2 && os.Args[1] == clipboard.HelperArg {
//		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
//		err := clipboard.RunClearHelper(ctx, os.Stdin, clipboard.SystemEnv())
//		...
//	}
//
// Cancelling the context on SIGTERM makes a helper that is being stopped
// (logout, shutdown) clear at once instead of never. What arrives on stdin
// is checked before the helper touches any clipboard: a request that is not
// one of Copy's is refused.
func ExampleRunClearHelper() {
	err := clipboard.RunClearHelper(context.Background(), strings.NewReader("clear everything now"), clipboard.SystemEnv())
	fmt.Println(err)
	// Output: malformed clear request: invalid character 'c' looking for beginning of value
}

// What `mysafe reveal REF --copy --osc52` does with the value it read from
// the vault, here on a machine with no display, writing to a terminal that
// is a buffer.
func ExampleCopy() {
	value := []byte("sk_live_x") // from the vault; never printed by mysafe
	noDisplay := clipboard.Env{
		Getenv:   func(string) string { return "" },
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound },
		GOOS:     "linux",
	}
	var terminal bytes.Buffer // normally /dev/tty opened for writing
	opts := clipboard.Options{ClearAfter: 45 * time.Second, OSC52: true, Terminal: &terminal}

	res, err := clipboard.Copy(context.Background(), noDisplay, value, opts)
	if errors.Is(err, clipboard.ErrUnavailable) {
		fmt.Println("mysafe:", err) // the message carries the hint
		return
	}
	fmt.Printf("backend %s, clear scheduled: %v\n", res.Backend, res.ClearScheduled)
	fmt.Printf("terminal got %q\n", terminal.String())

	// Without a terminal there is no clipboard at all.
	_, err = clipboard.Copy(context.Background(), noDisplay, value, clipboard.Options{})
	fmt.Println(errors.Is(err, clipboard.ErrUnavailable))
	// Output:
	// backend osc52, clear scheduled: false
	// terminal got "\x1b]52;c;c2tfbGl2ZV94\a"
	// true
}

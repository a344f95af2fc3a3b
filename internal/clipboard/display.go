package clipboard

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// dialTimeout bounds the check that a display server answers.
const dialTimeout = 2 * time.Second

// explainFailure turns the failure of backend b's copy tool into an error
// wrapping ErrUnavailable when the display server it talks to does not
// answer, and returns err otherwise. The display is dialled only after the
// tool failed: a connection made and dropped beforehand could make an X
// server without other clients (Xvfb) reset just as the tool connects.
func explainFailure(env Env, b Backend, err error) error {
	if uerr := reachable(env, b); uerr != nil {
		return uerr
	}
	return err
}

// dialDisplay connects to a display server, giving up after dialTimeout.
func dialDisplay(network, address string) (net.Conn, error) {
	return net.DialTimeout(network, address, dialTimeout)
}

// reachable dials the display server backend b talks to, and hangs up. A
// display address it cannot parse is left for the tool to judge (nil).
func reachable(env Env, b Backend) error {
	var name string
	var addrs []net.Addr
	switch b {
	case XClip, XSel:
		name = "the X display " + env.Getenv("DISPLAY")
		addrs = x11Addrs(env.Getenv("DISPLAY"), env.GOOS)
	case Wayland:
		name = "the Wayland display " + env.Getenv("WAYLAND_DISPLAY")
		addrs = waylandAddrs(env.Getenv("WAYLAND_DISPLAY"), env.Getenv("XDG_RUNTIME_DIR"))
	}
	if len(addrs) == 0 {
		return nil
	}
	var last error
	for _, a := range addrs {
		c, err := env.Dial(a.Network(), a.String())
		if err == nil {
			c.Close()
			return nil
		}
		last = err
	}
	var op *net.OpError
	if errors.As(last, &op) && op.Err != nil {
		last = op.Err
	}
	return unavailable(fmt.Sprintf("cannot reach %s (%v); check that the desktop session is still running and DISPLAY or WAYLAND_DISPLAY names it, use --osc52 to copy through the terminal, %s", name, last, hintPrint))
}

// x11Addrs returns where the X server of display d listens:
// "[host]:N[.S]" is the local socket of display N (on Linux also its
// abstract twin) for no host or "unix", and TCP port 6000+N on host; a
// display that starts with "/" (XQuartz) is a socket path. nil means d is
// not understood.
func x11Addrs(d, goos string) []net.Addr {
	if strings.HasPrefix(d, "/") {
		return []net.Addr{&net.UnixAddr{Name: d, Net: "unix"}}
	}
	i := strings.LastIndex(d, ":")
	if i < 0 {
		return nil
	}
	host, num := d[:i], d[i+1:]
	if dot := strings.IndexByte(num, '.'); dot >= 0 {
		num = num[:dot]
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 59535 {
		return nil
	}
	if host == "" || host == "unix" {
		sock := "/tmp/.X11-unix/X" + num
		addrs := []net.Addr{&net.UnixAddr{Name: sock, Net: "unix"}}
		if goos == "linux" {
			addrs = append(addrs, &net.UnixAddr{Name: "@" + sock, Net: "unix"})
		}
		return addrs
	}
	if strings.HasSuffix(host, ":") || strings.Contains(host, "/") {
		return nil // DECnet ("host::N") and other transports
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return []net.Addr{tcpAddr(net.JoinHostPort(host, strconv.Itoa(6000+n)))}
}

// waylandAddrs returns the socket of Wayland display d: a path, or a name
// in runtimeDir.
func waylandAddrs(d, runtimeDir string) []net.Addr {
	if !filepath.IsAbs(d) {
		if runtimeDir == "" {
			return nil
		}
		d = filepath.Join(runtimeDir, d)
	}
	return []net.Addr{&net.UnixAddr{Name: d, Net: "unix"}}
}

// tcpAddr is a host:port to dial, resolved when dialled.
type tcpAddr string

func (a tcpAddr) Network() string { return "tcp" }
func (a tcpAddr) String() string  { return string(a) }

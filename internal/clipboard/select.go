package clipboard

import "fmt"

// hintPrint is the last resort every "no clipboard" hint offers.
const hintPrint = "or print the value with plain `mysafe reveal`"

// Select returns the backend Copy would use for env and opts, without running
// anything. Only opts.OSC52 and whether opts.Terminal is nil matter.
//
//   - opts.OSC52 chooses OSC52, and needs a terminal.
//   - On macOS and Windows: in an SSH session with a terminal, OSC52, since
//     the local pasteboard belongs to the machine logged into, not to the
//     person typing; otherwise pbcopy/pbpaste, or PowerShell.
//   - Elsewhere (Linux and the BSDs): with WAYLAND_DISPLAY set and wl-copy
//     and wl-paste installed, Wayland; with DISPLAY set, xclip, else xsel;
//     with neither variable set and a terminal, OSC52.
//
// When nothing fits, the error wraps ErrUnavailable with a hint.
func Select(env Env, opts Options) (Backend, error) {
	env = env.withDefaults()
	terminal := opts.Terminal != nil
	if opts.OSC52 {
		if !terminal {
			return "", unavailable("OSC 52 needs a terminal to write to, and none is attached; " + hintPrint)
		}
		return OSC52, nil
	}
	remote := env.Getenv("SSH_CONNECTION") != "" || env.Getenv("SSH_CLIENT") != "" || env.Getenv("SSH_TTY") != ""

	switch env.GOOS {
	case "darwin", "ios":
		if remote && terminal {
			return OSC52, nil
		}
		if env.has("pbcopy", "pbpaste") {
			return Pasteboard, nil
		}
		return "", unavailable("pbcopy and pbpaste were not found on the PATH; use --osc52 to copy through the terminal, " + hintPrint)
	case "windows":
		if remote && terminal {
			return OSC52, nil
		}
		if _, err := powershellPath(env); err == nil {
			return PowerShell, nil
		}
		return "", unavailable("neither powershell.exe nor pwsh.exe was found; use --osc52 to copy through the terminal, " + hintPrint)
	}

	wayland := env.Getenv("WAYLAND_DISPLAY") != ""
	x11 := env.Getenv("DISPLAY") != ""
	if wayland && env.has("wl-copy", "wl-paste") {
		return Wayland, nil
	}
	if x11 {
		if env.has("xclip") {
			return XClip, nil
		}
		if env.has("xsel") {
			return XSel, nil
		}
	}
	switch {
	case wayland && x11:
		return "", unavailable("no clipboard tool was found; install wl-clipboard (or xclip or xsel), use --osc52 to copy through the terminal, " + hintPrint)
	case wayland:
		return "", unavailable("WAYLAND_DISPLAY is set but wl-copy and wl-paste were not found; install wl-clipboard, use --osc52 to copy through the terminal, " + hintPrint)
	case x11:
		return "", unavailable("DISPLAY is set but neither xclip nor xsel was found; install xclip or xsel, use --osc52 to copy through the terminal, " + hintPrint)
	case terminal:
		return OSC52, nil
	}
	return "", unavailable("there is no display (DISPLAY and WAYLAND_DISPLAY are unset) and no terminal for OSC 52; run it in a desktop session with xclip, xsel or wl-clipboard installed, or at a terminal with --osc52, " + hintPrint)
}

func unavailable(hint string) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, hint)
}

// powershellPath finds Windows PowerShell, or PowerShell 7 when it is the
// only one installed.
func powershellPath(env Env) (string, error) {
	p, err := env.LookPath("powershell.exe")
	if err == nil {
		return p, nil
	}
	return env.LookPath("pwsh.exe")
}

package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mysafe/mysafe/internal/oauth"
	"github.com/mysafe/mysafe/internal/safefile"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/term"
	"github.com/mysafe/mysafe/internal/vault"
)

// Exit codes. Scripts depend on them: never renumber. docs/exit-codes.md
// documents each one.
const (
	ExitOK          = 0 // success
	ExitFailure     = 1 // unexpected failure (I/O error, bug)
	ExitUsage       = 2 // bad usage or invalid input
	ExitNotFound    = 3 // no vault, no such record, contact or file
	ExitLocked      = 4 // wrong passphrase or identity, no unlock source, undecryptable or damaged data
	ExitConflict    = 5 // identifier exists, vault exists, ambiguous reference, vault in use
	ExitNotPermited = 6 // the operation is not allowed on this record
	ExitPartial     = 7 // import --skip-invalid skipped entries (the rest was imported)
	// ExitInterrupted is the shell's status for a program ended by SIGINT
	// (128 + 2): Ctrl-C at a prompt or during a token request.
	ExitInterrupted = 130
)

// Sentinel errors the commands wrap so exitCode can classify them.
var (
	errUsage        = errors.New("usage")
	errNotFound     = errors.New("not found")
	errLocked       = errors.New("vault is locked")
	errConflict     = errors.New("conflict")
	errNotPermitted = errors.New("not permitted")
	errPartial      = errors.New("partly done")
)

// exitError carries a message, a hint and a classification.
type exitError struct {
	msg   string
	hint  string
	class error
	err   error
}

func (e *exitError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() []error { return []error{e.class, e.err} }

func usageErr(msg string) error { return &exitError{msg: msg, class: errUsage} }

func withHint(class error, err error, hint string) error {
	return &exitError{class: class, err: err, hint: hint}
}

// commandExit is the exit status of the command `mysafe exec` ran: mysafe
// exits with it and prints nothing of its own.
type commandExit struct{ code int }

func (e *commandExit) Error() string { return fmt.Sprintf("the command exited with status %d", e.code) }

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	var amb *secret.AmbiguousError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, term.ErrInterrupted):
		return ExitInterrupted
	case errors.Is(err, errPartial):
		return ExitPartial
	case errors.Is(err, oauth.ErrRejected):
		return ExitLocked
	case errors.Is(err, oauth.ErrInvalid), errors.Is(err, oauth.ErrInsecure), errors.Is(err, oauth.ErrRefused):
		return ExitUsage
	case errors.Is(err, errUsage), errors.Is(err, secret.ErrInvalid):
		return ExitUsage
	case errors.Is(err, errNotPermitted), errors.Is(err, safefile.ErrNotPrivate):
		return ExitNotPermited
	case errors.As(err, &amb), errors.Is(err, errConflict), errors.Is(err, vault.ErrConflict),
		errors.Is(err, vault.ErrExists), errors.Is(err, vault.ErrInUse):
		return ExitConflict
	case errors.Is(err, errNotFound), errors.Is(err, secret.ErrNotFound), errors.Is(err, vault.ErrNoVault),
		errors.Is(err, vault.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, errLocked), errors.Is(err, vault.ErrLocked), errors.Is(err, vault.ErrTampered),
		errors.Is(err, vault.ErrNotVault), errors.Is(err, vault.ErrDamaged), errors.Is(err, vault.ErrNewer):
		return ExitLocked
	}
	return ExitFailure
}

// hintFor returns a hint line for well-known errors.
func hintFor(err error) string {
	var ee *exitError
	if errors.As(err, &ee) && ee.hint != "" {
		return ee.hint
	}
	var nf *secret.NotFoundError
	if errors.As(err, &nf) && len(nf.Suggestions) > 0 {
		q := make([]string, len(nf.Suggestions))
		for i, s := range nf.Suggestions {
			q[i] = strconv.Quote(s)
		}
		return "did you mean " + strings.Join(q, " or ") + "?"
	}
	var np *safefile.NotPrivateError
	if errors.As(err, &np) {
		return notPrivateHint(np)
	}
	switch {
	case errors.Is(err, vault.ErrNoVault):
		return "create one with `mysafe init`, or point --vault / MYSAFE_VAULT at an existing vault"
	case errors.Is(err, vault.ErrNewer):
		return "use the mysafe that wrote it (or a later one), or restore a backup made before it was written"
	case errors.Is(err, vault.ErrRollback):
		return "if you restored a backup or an older copy on purpose, accept it with `mysafe check --accept-rollback`; otherwise restore your latest backup"
	case errors.As(err, new(*vault.StateError)):
		return stateHint
	case errors.Is(err, vault.ErrDamaged), errors.Is(err, vault.ErrTampered):
		return "run `mysafe check` for details, and restore your latest backup (`mysafe backup`) if it fails"
	case errors.Is(err, vault.ErrInUse):
		return "try again when it has finished, or raise the lock_timeout setting"
	case errors.Is(err, term.ErrNoTerminal):
		return "run it at a terminal, or give the value through a flag, a file or stdin (see --help)"
	}
	return ""
}

// sharedFilesHint names the setting that accepts a file shared read-only.
const sharedFilesHint = "for a file shared read-only on purpose, set allow_shared_files: true (MYSAFE_ALLOW_SHARED_FILES=1)"

// notPrivateHint says how to make a file that is open to others usable.
func notPrivateHint(e *safefile.NotPrivateError) string {
	switch {
	case e.Writable:
		return "run `chmod 600 " + e.Path + "` (a file other users can write is never used)"
	case e.Owner >= 0:
		return "the file must belong to you; " + sharedFilesHint
	}
	return "run `chmod 600 " + e.Path + "`, or " + sharedFilesHint
}

// message renders err as the one line printed after "mysafe: ".
func message(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if h := hintFor(err); h != "" {
		s += " (hint: " + h + ")"
	}
	return s
}

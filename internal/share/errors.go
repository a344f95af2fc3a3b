package share

import "errors"

// Errors returned by Open. Each failure wraps exactly one of them, so the
// command line can choose a message and an exit code with errors.Is; the
// wrapping error adds the details.
var (
	// ErrNotAddressed means none of the given identities can decrypt the
	// bundle: it was encrypted to someone else's keys.
	ErrNotAddressed = errors.New("bundle is not addressed to you")

	// ErrTampered means the file is an age file but is truncated, damaged or
	// was modified after encryption: age's authentication failed or the data
	// ended early.
	ErrTampered = errors.New("bundle is damaged, truncated or was tampered with")

	// ErrMalformed means the file is not a share bundle: not an age file, or
	// its decrypted content is not a valid bundle payload.
	ErrMalformed = errors.New("not a valid share bundle")

	// ErrUnsupportedVersion means the bundle uses a format version this
	// build does not read, usually because a newer mysafe made it.
	ErrUnsupportedVersion = errors.New("unsupported share bundle version")

	// ErrBadSignature means the bundle carries a signature that does not
	// verify, or that was made by a key other than the sender's signing key
	// named in the payload.
	ErrBadSignature = errors.New("bad signature on share bundle")

	// ErrUnsigned means the bundle carries no signature and
	// OpenOptions.AllowUnsigned was not set.
	ErrUnsigned = errors.New("share bundle is not signed")

	// ErrExpired means the bundle's signed expiry time has passed.
	ErrExpired = errors.New("share bundle has expired")

	// ErrForwarded means the bundle decrypts with one of your keys, but its
	// signed list of recipients does not name you: someone who received it
	// re-encrypted it to you. The sender never shared it with you.
	ErrForwarded = errors.New("share bundle was not sent to you by its signer")
)

// Errors about recipients, returned by ParseRecipient, CheckRecipients and
// Build.
var (
	// ErrInvalidRecipient is wrapped by every error about a recipient string
	// that cannot be used.
	ErrInvalidRecipient = errors.New("invalid recipient")

	// ErrMixedRecipients means post-quantum (age1pq1...) and classic
	// recipients were given for one bundle. age refuses the mix, because the
	// file would be only as strong as its classic recipients.
	ErrMixedRecipients = errors.New("cannot mix post-quantum and classic recipients in one bundle")
)

// Errors from import decisions, returned by Decision.Err and CanSend.
var (
	// ErrConflict means a record was changed both locally and in the bundle
	// since they last agreed.
	ErrConflict = errors.New("conflicting changes")

	// ErrNotPermitted means the sender may not make the change the bundle
	// asks for, or the user may not send the record.
	ErrNotPermitted = errors.New("not permitted")
)

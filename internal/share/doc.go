// Package share makes and reads share bundles, the files that carry API
// secrets from one mysafe user to others without a server, and decides what
// importing one does to a vault.
//
// A bundle is an age file encrypted to every recipient (age X25519 or
// post-quantum hybrid keys, or OpenSSH ssh-ed25519 or ssh-rsa keys), so that
// someone without mysafe can open it with the stock age tool. Inside is a
// JSON payload (the records, the sender, the recipients, the permission)
// and an OpenSSH SSHSIG signature of the payload's exact bytes by the
// sender's Ed25519 signing key, which `ssh-keygen -Y verify` can check.
// docs/bundle-format.md specifies the format; docs/sharing.md explains
// sharing to users.
//
// The flow for a caller:
//
//   - sharing: ParseRecipient for each recipient, RecordFromSecret for each
//     record (after CanSend), NewPayload, then Build;
//   - importing: Open, then for each record Decide against the vault's copy
//     with the same UID, storing Decision.Record.
//
// The package is pure logic: it reads no vault, file or terminal, and takes
// keys and the current time as arguments.
//
// What the signature does not settle is left to the caller, with the means
// to do it: Open reports the signing key (Opened.SignerKey and its
// fingerprint) and Opened.SentBy checks it against a contact, because the
// sender's name and sharing key in the payload are only claims of whoever
// signed it; and Opened.ID identifies the bundle, so a caller can notice one
// imported twice.
package share

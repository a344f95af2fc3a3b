package cli

import (
	"crypto/ed25519"
	"fmt"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/share"
	"github.com/mysafe/mysafe/internal/vault"
)

// KeyOptions are the inputs of `mysafe key`.
type KeyOptions struct {
	F       *Factory
	Age     bool
	PQ      bool
	Signing bool
}

// NewCmdKey builds `mysafe key`.
func NewCmdKey(f *Factory) *cobra.Command {
	opts := &KeyOptions{F: f}
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print your contact card, for people who share API secrets with you",
		Long: `Print your contact card: one line (mysafe-card-1 ...) holding your public
sharing keys and the key that signs the bundles you share, signed by that
key. Give it to the people who share with you (` + "`mysafe contact add NAME CARD`" + `
on their side). None of it is secret, and none of it protects your vault.

For people who do not use mysafe, --age prints just your age key (age1...),
--pq your post-quantum age key (age1pq1...), and --signing your signing key
(ssh-ed25519 ...), whose fingerprint (` + "`mysafe key --signing | ssh-keygen -lf -`" + `)
is what people compare to check your card.

The vault is unlocked, so that what is printed comes from its sealed keys,
not from a copy someone could have changed in the file.`,
		Example: "  mysafe key > alice.card\n  mysafe key --age\n  mysafe key --signing | ssh-keygen -lf -",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return keyRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Age, "age", false, "print only the age (age1...) key")
	cmd.Flags().BoolVar(&opts.PQ, "pq", false, "print only the post-quantum (age1pq1...) key")
	cmd.Flags().BoolVar(&opts.Signing, "signing", false, "print only the Ed25519 signing key (ssh-ed25519 ...)")
	cmd.MarkFlagsMutuallyExclusive("age", "pq", "signing")
	return cmd
}

func keyRun(o *KeyOptions) error {
	var line string
	err := o.F.View(func(tx *vault.Tx) error {
		// The profile is sealed; the public keys in the file are a clear
		// copy for reading without unlocking. Print only what the sealed
		// keys derive, and refuse when the copy disagrees.
		profile, err := tx.Profile()
		if err != nil {
			return err
		}
		x, err := age.ParseX25519Identity(profile.SharingIdentity)
		if err != nil {
			return fmt.Errorf("%w: sharing key: %v", vault.ErrTampered, err)
		}
		pq, err := age.ParseHybridIdentity(profile.PQIdentity)
		if err != nil {
			return fmt.Errorf("%w: post-quantum key: %v", vault.ErrTampered, err)
		}
		signer := profile.SigningKey()
		signing := share.FormatSigningKey(signer.Public().(ed25519.PublicKey))
		pub, err := tx.PublicKeys()
		if err != nil {
			return err
		}
		if pub.Sharing != x.Recipient().String() || pub.SharingPQ != pq.Recipient().String() || pub.Signing != signing {
			return fmt.Errorf("%w: the public keys stored in clear differ from the sealed ones", vault.ErrTampered)
		}
		switch {
		case o.Age:
			line = pub.Sharing
		case o.PQ:
			line = pub.SharingPQ
		case o.Signing:
			line = pub.Signing
		default:
			line, err = share.MakeCard(pub.Sharing, pub.SharingPQ, signer)
		}
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.F.IO.Out, line)
	return err
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// KeyOptions are the inputs of `mysafe key`.
type KeyOptions struct {
	F       *Factory
	PQ      bool
	Signing bool
}

// NewCmdKey builds `mysafe key`.
func NewCmdKey(f *Factory, runF func(*KeyOptions) error) *cobra.Command {
	opts := &KeyOptions{F: f}
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print your public key, for people who share API secrets with you",
		Long: `Print your public sharing key (age1...). It is not the key that protects
your vault; giving it out is safe. --pq prints your post-quantum key
(age1pq1...), --signing the key that signs the bundles you share.`,
		Example: "  mysafe key\n  mysafe key --pq",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return keyRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.PQ, "pq", false, "print the post-quantum (age1pq1...) key")
	cmd.Flags().BoolVar(&opts.Signing, "signing", false, "print the Ed25519 signing key (ssh-ed25519 ...)")
	cmd.MarkFlagsMutuallyExclusive("pq", "signing")
	return cmd
}

func keyRun(o *KeyOptions) error {
	v, err := o.F.OpenLocked()
	if err != nil {
		return err
	}
	defer v.Close()
	pub, err := v.PublicKeys()
	if err != nil {
		return err
	}
	switch {
	case o.PQ:
		_, err = fmt.Fprintln(o.F.IO.Out, pub.SharingPQ)
	case o.Signing:
		_, err = fmt.Fprintln(o.F.IO.Out, pub.Signing)
	default:
		_, err = fmt.Fprintln(o.F.IO.Out, pub.Sharing)
	}
	return err
}

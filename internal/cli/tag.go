package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// TagOptions are the inputs of `mysafe tag`.
type TagOptions struct {
	F      *Factory
	Ref    string
	Tags   []string
	Remove bool
}

// NewCmdTag builds `mysafe tag`.
func NewCmdTag(f *Factory) *cobra.Command {
	opts := &TagOptions{F: f}
	cmd := &cobra.Command{
		Use:     "tag REF TAG...",
		Short:   "Add tags to an API secret, or remove them with --remove",
		Long:    "Add tags to an API secret, or remove them with --remove. Tags are single words (no spaces or commas), compared without regard to case.",
		Example: "  mysafe tag payments-prod prod billing\n  mysafe tag payments-prod --remove billing",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErr("tag takes a REF and at least one TAG")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref, opts.Tags = args[0], args[1:]
			return tagRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Remove, "remove", false, "remove the tags instead of adding them")
	return cmd
}

func tagRun(o *TagOptions) error {
	for _, t := range o.Tags {
		if err := secret.ValidateTag(t); err != nil {
			return err
		}
	}
	var r *secret.Record
	err := o.F.Update(func(tx *vault.Tx) (err error) {
		if r, err = findEditable(tx, o.Ref, "tag"); err != nil {
			return err
		}
		tags := slices.Clone(r.Tags)
		if o.Remove {
			tags = slices.DeleteFunc(tags, func(t string) bool { return secret.HasTag(o.Tags, t) })
		} else {
			tags = append(tags, o.Tags...)
		}
		if tags, err = secret.NormalizeTags(tags); err != nil {
			return err
		}
		if slices.Equal(tags, r.Tags) {
			return errUnchanged
		}
		r.Tags = tags
		touch(r, tx)
		if err := tx.Put(r); err != nil {
			return err
		}
		return tx.Log(logEntry(audit.Tag, r, strings.Join(r.Tags, ",")))
	})
	if err != nil {
		return err
	}
	o.F.chatter("%s: tags %s", describe(r), dash(strings.Join(r.Tags, ", ")))
	return nil
}

package cli

import (
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/term"
)

// secretSource is how a command receives a client secret: never as a flag's
// value, which would land in shell history and the process list.
type secretSource struct {
	stdin bool
	file  string
}

func (s *secretSource) addFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&s.stdin, "client-secret-stdin", false, "read the client secret from stdin (up to EOF; one trailing newline is dropped)")
	cmd.Flags().StringVar(&s.file, "client-secret-file", "", "read the client secret from `FILE` (\"-\" for stdin)")
	cmd.MarkFlagsMutuallyExclusive("client-secret-stdin", "client-secret-file")
}

func (s *secretSource) given() bool { return s.stdin || s.file != "" }

// read returns the client secret from stdin or the file. With stdin at a
// terminal it is asked for without echo.
func (s *secretSource) read(f *Factory) (secret.Value, error) {
	io := f.IO
	if s.file == "-" {
		// "-" is stdin, as for import.
		s.stdin, s.file = true, ""
	}
	switch {
	case s.stdin && io.StdinTTY && io.CanPrompt():
		// stdin is the terminal: ask without echo instead of reading it raw.
		b, err := f.Prompter.Secret("Client secret: ")
		if err != nil {
			return secret.Value{}, err
		}
		return secret.NewValueBytes(b), nil
	case s.stdin:
		b, err := term.ReadSecretLine(io.In, secret.MaxSecretLen)
		if err != nil {
			return secret.Value{}, usageErr("client secret from stdin: " + err.Error())
		}
		if len(b) == 0 {
			return secret.Value{}, usageErr("--client-secret-stdin: stdin is empty")
		}
		return secret.NewValueBytes(b), nil
	case s.file != "":
		fh, err := openInputFile(s.file, "client secret file", "give a regular file, or - to read the secret from stdin")
		if err != nil {
			return secret.Value{}, err
		}
		defer fh.Close()
		b, err := term.ReadSecretLine(fh, secret.MaxSecretLen)
		if err != nil {
			return secret.Value{}, usageErr("client secret file: " + err.Error())
		}
		if len(b) == 0 {
			return secret.Value{}, usageErr("client secret file " + s.file + " is empty")
		}
		return secret.NewValueBytes(b), nil
	}
	return secret.Value{}, nil
}

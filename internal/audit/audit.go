// Package audit defines the entries of a vault's audit log: what was done,
// to which API secret, when, by which user on which host and, in CI, in
// which job. It knows nothing about storage: the vault seals the entries
// and chains them (see internal/vault), and the command line asks and
// prints.
package audit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is what an entry records.
type Action string

// The actions mysafe records. Scripts filter on these names: never rename one.
const (
	Reveal     Action = "reveal"      // reveal printed a field
	Copy       Action = "copy"        // reveal --copy put a field on the clipboard
	Exec       Action = "exec"        // exec gave a value to a command's environment
	Inject     Action = "inject"      // inject wrote a value into a template
	Token      Action = "token"       // token used the client ID and secret
	Export     Action = "export"      // export wrote API secrets in clear
	Share      Action = "share"       // share sealed an API secret into a bundle
	Import     Action = "import"      // import, from another tool's file or a share bundle
	Add        Action = "add"         // add made a new API secret
	Edit       Action = "edit"        // edit changed fields
	Tag        Action = "tag"         // tag added or removed tags
	Remove     Action = "rm"          // rm removed an API secret and its versions
	Restore    Action = "restore"     // restore made an old version current
	Prune      Action = "prune"       // history prune erased old versions
	Passwd     Action = "passwd"      // passwd changed the passphrase
	RotateKeys Action = "rotate-keys" // rotate-keys replaced the vault's keys
	Check      Action = "check"       // check verified the whole vault
)

// actions lists every action, in the order help text names them. It is
// read, never changed.
var actions = []Action{Reveal, Copy, Exec, Inject, Token, Export, Share, Import, Add, Edit, Tag, Remove, Restore, Prune, Passwd, RotateKeys, Check}

// Actions returns every action's name.
func Actions() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}

// ParseAction accepts an action's name in any case.
func ParseAction(s string) (Action, error) {
	a := Action(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(actions, a) {
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q (want one of %s)", s, strings.Join(Actions(), ", "))
}

// IsUse reports whether the action handed one API secret's value to
// someone or something: these actions are an API secret's last use.
// Export and share are recorded, but are not uses of each record they
// carry.
func (a Action) IsUse() bool {
	switch a {
	case Reveal, Copy, Exec, Inject, Token:
		return true
	}
	return false
}

// OnlyReads reports whether the action reads the vault and changes
// nothing in it but the log and Last use: the uses, export, share (the
// bundle goes elsewhere) and check. The vault checks less of its log
// before appending such an entry than before any change.
func (a Action) OnlyReads() bool {
	switch a {
	case Export, Share, Check:
		return true
	}
	return a.IsUse()
}

// Actor is who acts: the user's login name, the host, and the CI job when
// there is one.
type Actor struct {
	User string
	Host string
	Job  string // "github:123456789", "gitlab:4242", ...; empty outside CI
}

// ciJobs are the environment variables CI services set to a job's id, with
// the name the log gives the service. It is read, never changed.
var ciJobs = []struct{ env, name string }{
	{"GITHUB_RUN_ID", "github"},
	{"CI_JOB_ID", "gitlab"},
	{"BUILDKITE_JOB_ID", "buildkite"},
	{"CIRCLE_WORKFLOW_JOB_ID", "circleci"},
	{"TRAVIS_JOB_ID", "travis"},
	{"SYSTEM_JOBID", "azure"},
	{"BITBUCKET_BUILD_NUMBER", "bitbucket"},
	{"CODEBUILD_BUILD_ID", "codebuild"},
	{"BUILD_ID", "jenkins"},
}

// DetectActor reads the actor from the environment getenv gives: USER (or
// LOGNAME, USERNAME) for the user, the first CI job id found among
// GITHUB_RUN_ID (with GITHUB_RUN_ATTEMPT), CI_JOB_ID, BUILDKITE_JOB_ID,
// CIRCLE_WORKFLOW_JOB_ID, TRAVIS_JOB_ID, SYSTEM_JOBID,
// BITBUCKET_BUILD_NUMBER, CODEBUILD_BUILD_ID and BUILD_ID, and host as the
// host name. Values are cut to their limits.
func DetectActor(getenv func(string) string, host string) Actor {
	a := Actor{Host: host}
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if a.User = getenv(k); a.User != "" {
			break
		}
	}
	for _, j := range ciJobs {
		if id := getenv(j.env); id != "" {
			a.Job = j.name + ":" + id
			if j.env == "GITHUB_RUN_ID" && getenv("GITHUB_RUN_ATTEMPT") != "" {
				a.Job += "/" + getenv("GITHUB_RUN_ATTEMPT")
			}
			break
		}
	}
	a.User, a.Host, a.Job = Cut(a.User, MaxActorLen), Cut(a.Host, MaxActorLen), Cut(a.Job, MaxActorLen)
	return a
}

// Entry is one line of the audit log. It never holds a secret value.
type Entry struct {
	Seq    uint64 // position in the log, from 1; set by the vault
	Time   time.Time
	Action Action
	// The API secret acted on, as it was named then (empty for actions on
	// the whole vault): its id, name and identifier.
	RecordID   string
	Name       string
	Identifier string
	Actor
	// Detail says more, without values: the fields, the version, the
	// number of API secrets, the contact.
	Detail string
}

// Limits on an entry's fields, so that an entry's size is bounded.
const (
	MaxActorLen  = 128 // user, host, job
	MaxNameLen   = 256 // name, identifier
	MaxDetailLen = 256
	maxActionLen = 16 // the longest action name, with room
	maxIDLen     = 32 // a record id is 16 hex digits
	// MaxEntryLen bounds an encoded entry: a version byte, the time, eight
	// length-prefixed strings at their limits.
	MaxEntryLen = 1 + 8 + 8*binary.MaxVarintLen64 + maxActionLen + maxIDLen + 2*MaxNameLen + 3*MaxActorLen + MaxDetailLen
)

// Cut shortens s to at most n bytes, at a character boundary.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

const entryVersion = 1

// MarshalBinary encodes the entry (without Seq, which is the entry's
// place), cutting fields to their limits.
func (e *Entry) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 128)
	b = append(b, entryVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	for _, s := range []string{Cut(string(e.Action), maxActionLen), Cut(e.RecordID, maxIDLen), Cut(e.Name, MaxNameLen), Cut(e.Identifier, MaxNameLen),
		Cut(e.User, MaxActorLen), Cut(e.Host, MaxActorLen), Cut(e.Job, MaxActorLen), Cut(e.Detail, MaxDetailLen)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// ErrMalformed is returned for an entry that does not decode.
var ErrMalformed = errors.New("malformed audit log entry")

// UnmarshalBinary decodes what MarshalBinary wrote.
func (e *Entry) UnmarshalBinary(b []byte) error {
	if len(b) < 9 || b[0] != entryVersion {
		return ErrMalformed
	}
	*e = Entry{Time: time.Unix(0, int64(binary.BigEndian.Uint64(b[1:]))).UTC()}
	pos := 9
	var action string
	for _, dst := range []*string{&action, &e.RecordID, &e.Name, &e.Identifier, &e.User, &e.Host, &e.Job, &e.Detail} {
		n, w := binary.Uvarint(b[pos:])
		if w <= 0 || n > uint64(len(b)-pos-w) {
			return ErrMalformed
		}
		pos += w
		*dst = string(b[pos : pos+int(n)])
		pos += int(n)
	}
	if pos != len(b) {
		return ErrMalformed
	}
	e.Action = Action(action)
	return nil
}

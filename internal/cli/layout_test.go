package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// groundFloor lists the files of this package that are not commands: what
// the command files share. docs/architecture.md ("Adding a command") lists
// the same files; keep the two lists together.
var groundFloor = []string{
	"auditlog.go",     // the audit log entries commands write
	"bundlesource.go", // --bundle: API secrets read from a share bundle
	"complete.go",     // shell completion of flags and arguments
	"exitcode.go",     // exit codes and error messages
	"factory.go",      // opening and unlocking the vault, streams, chatter
	"format.go",       // JSON, times, dashes, mysafe's own formats
	"grant.go",        // OAuth 2.0 tokens for token, exec and inject
	"inputfile.go",    // reading files named on the command line
	"nodump_linux.go", // no core dumps
	"nodump_other.go",
	"nodump_unix.go",
	"output.go",      // files written 0600 and renamed into place
	"records.go",     // finding, naming, changing, filtering records; contacts; references
	"root.go",        // the root command, which wires every command's NewCmd
	"secretinput.go", // reading a client secret from a prompt, stdin or a file
	"sharing.go",     // the vault's sharing side, recipients, revoking access
	"table.go",       // aligned columns
	"teamsync.go",    // the team state, git's errors, one sync
}

// TestCommandFilesUseTheGroundFloor holds the package to its layout: every
// other file holds one command, NAME.go, with its one NewCmd function (more
// of the same command, and its subcommands, may be in NAME_*.go), and a command file refers only to its own command's files
// and to the ground floor, never to another command's file. The ground
// floor refers only to itself, but for root.go, which wires each command's
// NewCmd function. Methods of ground-floor types (Factory above all) are
// declared in the ground floor.
//
// A reference is an identifier the parser could not resolve inside its
// file and that another file of the package declares at the top level;
// methods are matched by the file that declares them.
func TestCommandFilesUseTheGroundFloor(t *testing.T) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declaredIn := map[string]string{} // top-level name -> file
	files := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = f
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					declaredIn[d.Name.Name] = p
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						declaredIn[s.Name.Name] = p
					case *ast.ValueSpec:
						for _, n := range s.Names {
							declaredIn[n.Name] = p
						}
					}
				}
			}
		}
	}
	for _, g := range groundFloor {
		if files[g] == nil {
			t.Errorf("%s is listed as ground floor but is not a file of the package", g)
		}
	}
	isGround := func(p string) bool { return slices.Contains(groundFloor, p) }
	command := func(p string) string { // the command a file belongs to
		name := strings.TrimSuffix(p, ".go")
		if i := strings.IndexByte(name, '_'); i > 0 {
			name = name[:i]
		}
		return name
	}
	allowed := func(from, to, name string) bool {
		switch {
		case isGround(to):
			return true
		case isGround(from):
			return from == "root.go" && strings.HasPrefix(name, "NewCmd")
		default:
			return command(from) == command(to)
		}
	}

	var problems []string
	for p, f := range files {
		seen := map[string]bool{}
		for _, id := range f.Unresolved {
			to, ok := declaredIn[id.Name]
			if !ok || to == p || seen[id.Name] {
				continue
			}
			seen[id.Name] = true
			if !allowed(p, to, id.Name) {
				problems = append(problems, p+" uses "+id.Name+" of "+to)
			}
		}
		var constructors []string
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "NewCmd") {
				constructors = append(constructors, fd.Name.Name)
			}
		}
		if len(constructors) > 1 || (len(constructors) > 0 && isGround(p)) {
			problems = append(problems, p+" builds more than its one command: "+strings.Join(constructors, ", "))
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			recv := fd.Recv.List[0].Type
			if s, ok := recv.(*ast.StarExpr); ok {
				recv = s.X
			}
			if id, ok := recv.(*ast.Ident); ok {
				if to := declaredIn[id.Name]; to != p && isGround(to) && !isGround(p) {
					problems = append(problems, p+" declares the method "+fd.Name.Name+" of "+id.Name+", a type of "+to)
				}
			}
		}
	}
	// Calls of methods declared in another command's file.
	methodIn := map[string][]string{}
	for p, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && !isGround(p) {
				methodIn[fd.Name.Name] = append(methodIn[fd.Name.Name], p)
			}
		}
	}
	for p, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			for _, to := range methodIn[sel.Sel.Name] {
				if to != p && !allowed(p, to, sel.Sel.Name) {
					problems = append(problems, p+" may call the method "+sel.Sel.Name+" of "+to)
				}
			}
			return true
		})
	}
	sort.Strings(problems)
	problems = slices.Compact(problems)
	for _, pr := range problems {
		t.Error(pr)
	}
	if len(problems) > 0 {
		t.Log("move what two commands share into a ground-floor file (or a domain package), or list a new ground-floor file in groundFloor and docs/architecture.md")
	}
}

package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tokenizers are the helpers that split or fold what people type. Only the
// command language (bot/parse) may call them: a feature file that does
// keeps a grammar of its own beside the one table.
var tokenizers = map[string][]string{
	"parse":   {"Tokens", "Words", "Fold", "TrimSeparators", "MentionError"},
	"strings": {"Fields", "FieldsFunc"},
}

// TestFeatureFilesDoNotTokenize parses every non-test file of package bot
// and fails on any call to a tokenizer: grammars live in bot/parse.
func TestFeatureFilesDoNotTokenize(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if calls := tokenizerCalls(fset, f); len(calls) > 0 {
			t.Errorf("%s tokenizes (%s): put the grammar in bot/parse and use its typed spec", name, strings.Join(calls, ", "))
		}
	}
}

// TestTokenizerCheckSeesACall makes sure the scan above can fail.
func TestTokenizerCheckSeesACall(t *testing.T) {
	fset := token.NewFileSet()
	src := "package bot\nfunc f(s string) int { return len(parse.Tokens(s)) + len(strings.Fields(s)) }\n"
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenizerCalls(fset, f); len(got) != 2 {
		t.Fatalf("found %v, want the two tokenizer calls", got)
	}
}

// tokenizerCalls lists "pkg.Name at line" for each tokenizer call in f.
func tokenizerCalls(fset *token.FileSet, f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if ok && slices.Contains(tokenizers[pkg.Name], sel.Sel.Name) {
			out = append(out, pkg.Name+"."+sel.Sel.Name+" at line "+strconv.Itoa(fset.Position(call.Pos()).Line))
		}
		return true
	})
	return out
}

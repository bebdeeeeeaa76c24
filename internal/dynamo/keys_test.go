package dynamo

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestAttributeNamesAreTags checks that every attribute name constant of
// keys.go is spelled as some item struct's dynamodbav tag, so expressions
// and stream decoding name attributes that are really written.
func TestAttributeNamesAreTags(t *testing.T) {
	tags := map[string]bool{}
	var collect func(reflect.Type)
	collect = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				collect(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("dynamodbav"), ",")
			tags[name] = true
		}
	}
	for _, v := range []any{schoolItem{}, groupItem{}, groupNameItem{}, userItem{}, userIndexItem{}, importItem{}, sendJobItem{}, exportItem{}, userIDItem{}, relationshipItem{}, mailDayItem{}, dueItem{}, mailTurnItem{}, sendPaceItem{}, queuedMailItem{}} {
		collect(reflect.TypeOf(v))
	}

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "attr") {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		value, _ := strconv.Unquote(lit.Value)
		checked++
		if !tags[value] {
			t.Errorf("%s = %q is no item's dynamodbav tag", vs.Names[0].Name, value)
		}
		return true
	})
	if checked < 40 {
		t.Errorf("checked %d attribute constants; keys.go should hold them all", checked)
	}
}

package local_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

// TestServiceTemplateIsValid checks the real template.yaml as `sam validate`
// and `sam build` would.
func TestServiceTemplateIsValid(t *testing.T) {
	root, err := local.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.LoadTemplate(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Validate(root); err != nil {
		t.Fatal(err)
	}
	want := []string{"ConfirmFunction", "ImportsApiFunction", "IndexerFunction", "MailerFunction", "PreviewFunction", "UsersApiFunction"}
	if got := strings.Join(tmpl.FunctionIDs(), ","); got != strings.Join(want, ",") {
		t.Errorf("functions = %s, want %s", got, strings.Join(want, ","))
	}
}

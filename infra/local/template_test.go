package local_test

import (
	"path/filepath"
	"slices"
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
	// The functions the service has had from the start; others may join.
	want := []string{"ConfirmFunction", "ImportsApiFunction", "IndexerFunction", "MailerFunction", "PreviewFunction", "UsersApiFunction"}
	got := tmpl.FunctionIDs()
	for _, fn := range want {
		if !slices.Contains(got, fn) {
			t.Errorf("functions = %s, want %s among them", strings.Join(got, ","), fn)
		}
	}
}

package dynamo_test

import (
	"os"
	"testing"

	"github.com/schoolroster/rosterimport/infra/local"
)

// emulators is DynamoDB Local (with S3 and SES) holding the table exactly as
// template.yaml declares it.
var emulators *local.Stack

func TestMain(m *testing.M) {
	os.Exit(local.RunTests(m, local.Options{EmulatorsOnly: true}, &emulators))
}

package dynamo_test

import (
	"os"
	"testing"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/localtest"
)

// emulators is DynamoDB Local (with S3 and SES) holding the table exactly as
// template.yaml declares it.
var emulators *local.Stack

func TestMain(m *testing.M) {
	os.Exit(localtest.Main(m, local.Options{EmulatorsOnly: true}, &emulators))
}

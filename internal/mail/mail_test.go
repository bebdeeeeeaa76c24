package mail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/schoolroster/rosterimport/infra/local"
	"github.com/schoolroster/rosterimport/infra/local/localtest"
	"github.com/schoolroster/rosterimport/internal/app"
	"github.com/schoolroster/rosterimport/internal/mail"
)

var emulators *local.Stack

func TestMain(m *testing.M) {
	os.Exit(localtest.Main(m, local.Options{EmulatorsOnly: true, SESMaxSendRate: 14}, &emulators))
}

// storedMail is a mail as SES local's GET /store shows it.
type storedMail struct {
	Destination struct{ To []string }
	Subject     string
	Body        struct{ HTML, Text string }
}

func sentTo(t *testing.T, to string) []storedMail {
	t.Helper()
	resp, err := http.Get(emulators.SESURL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct{ Emails []storedMail }
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	var out []storedMail
	for _, m := range store.Emails {
		if len(m.Destination.To) == 1 && m.Destination.To[0] == to {
			out = append(out, m)
		}
	}
	return out
}

func newSender() *mail.Sender {
	return mail.NewSender(emulators.SES, "no-reply@example.com", emulators.EmailTemplates["InvitationTemplate"])
}

func TestSendBulkRendersTheTemplateSafely(t *testing.T) {
	s := newSender()
	hostile := app.Email{
		To:         "zoe@safe.school",
		FirstName:  "Zoë <script>alert(1)</script>\r\nBcc: victim@evil.school",
		SchoolName: "St Mary's & St John's",
		AcceptURL:  "https://console.example.com/accept?token=abc&x=1",
	}
	plain := app.Email{To: "sian@safe.school", FirstName: "Siân", SchoolName: "Ysgol", AcceptURL: "https://console.example.com/accept?token=def"}
	out, err := s.SendBulk(context.Background(), []app.Email{hostile, plain})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Err != nil || out[1].Err != nil || out[0].MessageID == "" {
		t.Fatalf("outcomes = %+v", out)
	}
	if s.Calls.Load() != 1 {
		t.Errorf("%d SES calls for 2 mails, want 1", s.Calls.Load())
	}
	mails := sentTo(t, "zoe@safe.school")
	if len(mails) != 1 {
		t.Fatalf("got %d mails to zoe", len(mails))
	}
	m := mails[0]
	if m.Subject != "You are invited to join St Mary's & St John's" {
		t.Errorf("subject = %q", m.Subject)
	}
	if strings.Contains(m.Body.HTML, "<script>") || !strings.Contains(m.Body.HTML, "Zoë &lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@evil.school") {
		t.Errorf("HTML not escaped exactly once:\n%s", m.Body.HTML)
	}
	if !strings.Contains(m.Body.HTML, "St Mary&#39;s &amp; St John&#39;s") || !strings.Contains(m.Body.HTML, `href="https://console.example.com/accept?token=abc&amp;x=1"`) {
		t.Errorf("school or link not escaped for HTML:\n%s", m.Body.HTML)
	}
	if !strings.Contains(m.Body.Text, "Hello Zoë <script>alert(1)</script> Bcc: victim@evil.school,") || strings.Contains(m.Body.Text, "&lt;") {
		t.Errorf("text part should be plain, on one line:\n%s", m.Body.Text)
	}
	if len(sentTo(t, "victim@evil.school")) != 0 {
		t.Error("a name added a recipient")
	}
	if got := sentTo(t, "sian@safe.school"); len(got) != 1 || !strings.Contains(got[0].Body.Text, "Hello Siân,") {
		t.Errorf("second mail = %+v", got)
	}
}

func TestMaxSendRate(t *testing.T) {
	rate, err := newSender().MaxSendRate(context.Background())
	if err != nil || rate != 14 {
		t.Errorf("rate = %v %v, want the account's 14", rate, err)
	}
}

func TestSendBulkLimits(t *testing.T) {
	var many []app.Email
	for i := 0; i < mail.MaxBulk+1; i++ {
		many = append(many, app.Email{To: fmt.Sprintf("p%d@limit.school", i)})
	}
	if _, err := newSender().SendBulk(context.Background(), many); err == nil {
		t.Error("51 recipients in one call were accepted")
	}
}

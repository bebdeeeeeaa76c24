package streamimage

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestString(t *testing.T) {
	img := map[string]events.DynamoDBAttributeValue{
		"s": events.NewStringAttribute("abc"), "n": events.NewNumberAttribute("7"), "b": events.NewBooleanAttribute(true),
	}
	for name, want := range map[string]string{"s": "abc", "n": "7", "b": "", "missing": ""} {
		if got := String(img, name); got != want {
			t.Errorf("String(%q) = %q, want %q", name, got, want)
		}
	}
}

package dynamo

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// StreamImage is an item's image as Lambda delivers it from the table stream.
type StreamImage = map[string]events.DynamoDBAttributeValue

// QueuedImport decodes the new image of an import item that the stream
// delivers to confirm (its filter picks imports whose status became queued).
// Errors: when the image lacks the school or import id.
func QueuedImport(img StreamImage) (schoolID, importID string, err error) {
	schoolID, importID = imageString(img, attrSchoolID), imageString(img, attrImportID)
	if schoolID == "" || importID == "" {
		return "", "", fmt.Errorf("stream image of an import lacks %s or %s", attrSchoolID, attrImportID)
	}
	return schoolID, importID, nil
}

// QueuedMail decodes the new image of a user item whose mail became queued,
// as the stream delivers it to the mailer.
// Errors: when the image lacks the school or email, or its send count is
// not a number.
func QueuedMail(img StreamImage) (schoolID, email string, sendCount int, err error) {
	schoolID, email = imageString(img, attrSchoolID), imageString(img, attrEmail)
	if schoolID == "" || email == "" {
		return "", "", 0, fmt.Errorf("stream image of a user lacks %s or %s", attrSchoolID, attrEmail)
	}
	n, err := strconv.Atoi(imageString(img, attrSendCount))
	if err != nil {
		return "", "", 0, fmt.Errorf("stream image of a user has a bad %s: %w", attrSendCount, err)
	}
	return schoolID, email, n, nil
}

// imageString returns a string or number attribute of an image, "" when it
// is missing or of another type (the events accessors would panic).
func imageString(img StreamImage, name string) string {
	v, ok := img[name]
	if !ok {
		return ""
	}
	switch v.DataType() {
	case events.DataTypeString:
		return v.String()
	case events.DataTypeNumber:
		return v.Number()
	}
	return ""
}

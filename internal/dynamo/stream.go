package dynamo

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/schoolroster/rosterimport/internal/roster"
)

// StreamImage is an item's image as Lambda delivers it from the table stream.
type StreamImage = map[string]events.DynamoDBAttributeValue

// Work is an item of background work the stream delivers when it is queued.
type Work struct {
	Kind     string // WorkImport, WorkSendJob or WorkExport
	SchoolID string
	ID       string // the import's, the job's or the export's
}

// Kinds of queued work.
const (
	WorkImport  = typeImport
	WorkSendJob = typeSendJob
	WorkExport  = typeExport
)

// QueuedWork decodes the new image of a queued import, send job or export, as the
// stream delivers them to the worker (its filter picks those whose status
// became queued).
// Errors: when the image is of another type, or lacks the school or id.
func QueuedWork(img StreamImage) (Work, error) {
	w := Work{Kind: imageString(img, attrType), SchoolID: imageString(img, attrSchoolID)}
	switch w.Kind {
	case WorkImport:
		w.ID = imageString(img, attrImportID)
	case WorkSendJob:
		w.ID = imageString(img, attrJobID)
	case WorkExport:
		w.ID = imageString(img, attrExportID)
	default:
		return Work{}, fmt.Errorf("stream image of type %q is not queued work", w.Kind)
	}
	if w.SchoolID == "" || w.ID == "" {
		return Work{}, fmt.Errorf("stream image of a %s lacks its school or id", w.Kind)
	}
	return w, nil
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

// MailWake is what a mailer's stream record asks for: a school's queued
// mail (Email and SendCount), or its next turn at sending (Turn > 0).
type MailWake struct {
	SchoolID  string
	Email     string
	SendCount int
	Turn      int
}

// MailWakeOf decodes the new image of a user whose mail became queued, or
// of a school's mail turn that opened.
// Errors: when the image lacks the school, the email of a user, or a
// number where one belongs.
func MailWakeOf(img StreamImage) (MailWake, error) {
	if imageString(img, attrType) == typeMailTurn {
		school := imageString(img, attrSchoolID)
		turn, err := strconv.Atoi(imageString(img, attrTurn))
		if school == "" || err != nil || turn <= 0 {
			return MailWake{}, fmt.Errorf("stream image of a mail turn lacks %s or a %s", attrSchoolID, attrTurn)
		}
		return MailWake{SchoolID: school, Turn: turn}, nil
	}
	school, email, n, err := QueuedMail(img)
	return MailWake{SchoolID: school, Email: email, SendCount: n}, err
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

// ChangedUser decodes the old and new images of a user item from the
// stream: before is nil for a new user, after for a deleted one.
// Errors: when an image does not decode as a user.
func ChangedUser(oldImg, newImg StreamImage) (before, after *roster.Member, err error) {
	decode := func(img StreamImage) (*roster.Member, error) {
		if len(img) == 0 {
			return nil, nil
		}
		var it userItem
		if err := attributevalue.UnmarshalMap(attributeValues(img), &it); err != nil {
			return nil, fmt.Errorf("stream image of a user: %w", err)
		}
		if it.SchoolID == "" || it.Email == "" {
			return nil, fmt.Errorf("stream image of a user lacks %s or %s", attrSchoolID, attrEmail)
		}
		m := it.member()
		return &m, nil
	}
	if before, err = decode(oldImg); err != nil {
		return nil, nil, err
	}
	if after, err = decode(newImg); err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// attributeValues converts a stream image to the SDK's attribute values.
func attributeValues(img StreamImage) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		if av := attributeValue(v); av != nil {
			out[k] = av
		}
	}
	return out
}

func attributeValue(v events.DynamoDBAttributeValue) types.AttributeValue {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, e := range v.List() {
			if av := attributeValue(e); av != nil {
				l = append(l, av)
			}
		}
		return &types.AttributeValueMemberL{Value: l}
	case events.DataTypeMap:
		return &types.AttributeValueMemberM{Value: attributeValues(v.Map())}
	}
	return nil
}

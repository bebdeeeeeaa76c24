// Package streamimage reads the attributes of DynamoDB stream images as
// Lambda delivers them, without the panics of the events accessors.
package streamimage

import "github.com/aws/aws-lambda-go/events"

// String returns a string or number attribute of an image, "" when it is
// missing or of another type.
func String(img map[string]events.DynamoDBAttributeValue, name string) string {
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

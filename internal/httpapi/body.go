package httpapi

import (
	"bytes"
	"encoding/base64"
	"io"

	"github.com/aws/aws-lambda-go/events"
)

func decodeBody(ev events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if !ev.IsBase64Encoded {
		return []byte(ev.Body), nil
	}
	return base64.StdEncoding.DecodeString(ev.Body)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

package secretstore

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// targetPrefix is the X-Amz-Target prefix of Secrets Manager operations.
const targetPrefix = "secretsmanager."

// getSecretValueInput and getSecretValueOutput are GetSecretValue's shapes.
type getSecretValueInput struct {
	SecretId     string
	VersionId    string
	VersionStage string
}

type getSecretValueOutput struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  string
	VersionStages []string
	CreatedDate   float64 // epoch seconds
}

// ServeHTTP answers the Secrets Manager API (JSON 1.1) for GetSecretValue;
// other operations get UnknownOperationException.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok {
		writeError(w, "UnknownOperationException", "expected a POST with X-Amz-Target secretsmanager.<Operation>")
		return
	}
	if op != "GetSecretValue" {
		writeError(w, "UnknownOperationException", op+" is not served by the local stack's Secrets Manager (GetSecretValue only)")
		return
	}
	b, err := io.ReadAll(r.Body)
	var in getSecretValueInput
	if err != nil || json.Unmarshal(b, &in) != nil {
		writeError(w, "SerializationException", "the request body is not a GetSecretValue request")
		return
	}
	if in.SecretId == "" {
		writeError(w, "InvalidParameterException", "SecretId is required")
		return
	}
	v, err := s.Get(in.SecretId, in.VersionId, in.VersionStage)
	if errors.Is(err, ErrNotFound) {
		writeError(w, "ResourceNotFoundException", err.Error())
		return
	}
	if err != nil {
		writeError(w, "InternalServiceError", err.Error())
		return
	}
	out, _ := json.Marshal(getSecretValueOutput{ARN: v.ARN, Name: v.Name, VersionId: v.ID, SecretString: v.Value,
		VersionStages: v.Stages, CreatedDate: float64(v.Created.UnixMilli()) / 1000})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(out)
}

// writeError answers an error as JSON 1.1 does: HTTP 400 (500 for an
// internal error) with the type in __type.
func writeError(w http.ResponseWriter, typ, message string) {
	status := http.StatusBadRequest
	if typ == "InternalServiceError" {
		status = http.StatusInternalServerError
	}
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Package dynamo is the DynamoDB adapter: the single-table model described in
// docs/data-model.md.
//
// Every key format and attribute name lives in this file. A school's items share its partition
// key, so a school's data is one Query away and never mixed with another's:
//
//	item          PK                 SK                     GSI1PK            GSI1SK
//	school        SCHOOL#{school}    SCHOOL
//	group         SCHOOL#{school}    GROUP#{lower(name)}
//	user          SCHOOL#{school}    USER#{email}           TOKEN#{hash}      SCHOOL#{school}   (GSI1 only while an invitation is pending)
//	import        SCHOOL#{school}    IMPORT#{importId}      (import ids sort by time)
//	relationship  SCHOOL#{school}    REL#{student}#{parent}
//
// Access patterns:
//   - school by id:                    GetItem PK=SCHOOL#id SK=SCHOOL
//   - groups of a school:              Query PK=SCHOOL#id, SK begins_with GROUP#
//   - a member (role check, lookups):  GetItem PK=SCHOOL#id SK=USER#email
//   - invitation by token:             Query GSI1 GSI1PK=TOKEN#sha256(token)
//   - members by email, in batches:    BatchGetItem of user keys (preview, confirm, mailer)
//   - an import:                       GetItem PK=SCHOOL#id SK=IMPORT#importId
//   - import history, newest first:    Query PK=SCHOOL#id, SK begins_with IMPORT#, descending
//   - import lifecycle:                conditional UpdateItem on the import item
//   - a confirmed chunk of rows:       TransactWriteItems: the import's counts and
//     done-chunk set, and the groups' member counts
//
// Every item carries a "type" attribute so stream filters can pick items.
// The table's stream images are decoded in stream.go, with these names.
package dynamo

import (
	"strings"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Attribute names shared by every item.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrType   = "type"
)

// Attribute names that expressions and stream images use. The item structs'
// dynamodbav tags spell the same names (Go tags cannot name constants);
// TestAttributeNamesAreTags keeps the two in step.
const (
	attrSchoolID = "schoolId" // import, user
	attrImportID = "importId" // import
	attrEmail    = "email"    // user

	// Import items.
	attrStatus          = "status" // also users
	attrClaim           = "claim"
	attrUpdatedAt       = "updatedAt"
	attrCounts          = "counts"
	attrErrorCounts     = "errorCounts"
	attrSkipReasons     = "skipReasons"
	attrWarnings        = "warnings"
	attrPreview         = "preview"
	attrPreviewNote     = "previewNote"
	attrValidatedAt     = "validatedAt"
	attrFailureReason   = "failureReason"
	attrSendInvitations = "sendInvitations"
	attrConfirmedBy     = "confirmedBy"
	attrConfirmedAt     = "confirmedAt"
	attrProgressDone    = "progressDone"
	attrProgressTotal   = "progressTotal"
	attrCreated         = "created"
	attrSkippedMember   = "skippedMember"
	attrSkippedInvited  = "skippedInvited"
	attrFailed          = "failed"
	attrChunksDone      = "chunksDone"
	attrFailures        = "failures"
	attrCompletedAt     = "completedAt"
	attrArtifacts       = "artifacts" // a map: artifact name -> object key

	// Group items.
	attrMemberCount = "memberCount"

	// User items, with their invitation state.
	attrFirstName       = "firstName"
	attrLastName        = "lastName"
	attrGroups          = "groups"
	attrInvitedAt       = "invitedAt"
	attrJoinedAt        = "joinedAt"
	attrInvitedBy       = "invitedBy"
	attrInvitedByImport = "invitedByImport"
	attrSealedToken     = "sealedToken"
	attrSendCount       = "sendCount"
	attrMailStatus      = "mailStatus"
	attrMailMessageID   = "mailMessageId"
	attrMailSentAt      = "mailSentAt"
	attrMailError       = "mailError"
)

// artifactPath is the document path of one artifact's key in an import item.
func artifactPath(a roster.Artifact) string { return attrArtifacts + "." + string(a) }

// Item types, the value of the "type" attribute.
const (
	typeSchool = "school"
	typeGroup  = "group"
	typeUser   = "user"
	typeImport = "import"
)

// GSI1 is the sparse index of pending invitations by token hash.
const GSI1 = "GSI1"

func schoolPK(schoolID string) string { return "SCHOOL#" + schoolID }

const schoolSK = "SCHOOL"

const groupPrefix = "GROUP#"

func groupSK(name string) string { return groupPrefix + strings.ToLower(strings.TrimSpace(name)) }

const userPrefix = "USER#"

func userSK(email string) string { return userPrefix + email }

func tokenPK(hash string) string { return "TOKEN#" + hash }

const importPrefix = "IMPORT#"

func importSK(importID string) string { return importPrefix + importID }

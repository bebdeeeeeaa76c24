// Package dynamo is the DynamoDB adapter: the single-table model described in
// docs/data-model.md.
//
// Every key format and attribute name lives in this file. A school's items
// share its partition key, so a school's data is one Query away and never
// mixed with another's:
//
//	item          PK                            SK                        GSI1PK (sparse)   GSI1SK           GSI2PK            GSI2SK
//	school        SCHOOL#{school}               SCHOOL
//	group         SCHOOL#{school}               GROUP#{groupId}
//	group name    SCHOOL#{school}               GNAME#{lower(name)}       (one per group: names are unique without regard to case)
//	user          SCHOOL#{school}               USER#{email}              TOKEN#{hash}      SCHOOL#{school}  MEMBER#{email}    SCHOOL#{school}
//	import        SCHOOL#{school}               IMPORT#{importId}         (import ids sort by time)
//	send job      SCHOOL#{school}               JOB#{jobId}
//	users export  SCHOOL#{school}               EXPORT#{exportId}         (export ids sort by time)
//	user id       SCHOOL#{school}               UID#{userId}              (one per id: ids are unique in a school)
//	relationship  SCHOOL#{school}               REL#{student}#{parent}                                                  PARENT#{school}#{parent}  REL#{student}
//	user index    SCHOOL#{school}#USERS#{facet} {sort key}                (in the users index table, written by the indexer from the stream)
//	mail day      SCHOOL#{school}               MAILDAY#{yyyy-mm-dd}      (invitations the school sent that UTC day)
//
// GSI3 is sparse too: an invitation whose mail waits (queued, sending,
// deferred) and an import being validated or imported carry GSI3PK=DUE#{n}
// (n: a hash of the item's keys, so writes spread over DueShards
// partitions) and GSI3SK = the Unix second by which it must have moved on.
//
// GSI4 is a school's mail queue: an invitation whose mail is queued
// carries GSI4PK=MAILQ#{school}, and the index sorts on its mailQueuedAt,
// so the mailer takes a school's oldest queued mail with one Query.
//
//	mail turn     SCHOOL#{school}               MAILTURN                  (the school's turn at sending; see mailturn.go)
//	send pace     ACCOUNT                       SENDPACE                  (the account's next free sending time, for every mailer)
//
// A user's GSI1 keys stand while its invitation token is live (pending or
// accepted) and go when the token dies (resent, cancelled, removed).
//
// Access patterns:
//   - school by id:                    GetItem PK=SCHOOL#id SK=SCHOOL
//   - groups of a school:              Query PK=SCHOOL#id, SK begins_with GROUP#
//   - a group's name is free:          the GNAME# item, put with attribute_not_exists in the same transaction
//   - a member (role check, lookups):  GetItem PK=SCHOOL#id SK=USER#email, consistent
//   - a member's schools (GET /me):    Query GSI2 GSI2PK=MEMBER#email
//   - invitation by token:             Query GSI1 GSI1PK=TOKEN#sha256(token)
//   - members by email, in batches:    BatchGetItem of user keys (preview, confirm, mailer, users list)
//   - a change to a member:            TransactWriteItems: the user (version checked), its groups'
//     member counts, and a check that the administrator making it still may
//   - users list, sorted by name:      Query PK=SCHOOL#id#USERS#{facet} of the users index table
//     (the roster table's own unless Store.UsersIndex names another), then BatchGetItem of the
//     page's users; the facet names the filters (see userindex.go)
//   - who has a user id:               BatchGetItem of UID# items (preview, confirm); the item is put
//     in the transaction that gives a user the id
//   - a student's parents:             Query PK=SCHOOL#id, SK begins_with REL#{student}#
//   - a parent's students:             Query GSI2 GSI2PK=PARENT#{school}#{parent}
//   - pairs, in batches:               BatchGetItem of REL# items (preview, confirm)
//   - held invitations (send all):     Query PK=SCHOOL#id SK begins_with USER#, filter mailStatus=held (background job)
//   - every user, by email (export):   Query PK=SCHOOL#id SK begins_with USER#, projected, page by page (background job)
//   - an export; the latest export:    GetItem PK=SCHOOL#id SK=EXPORT#exportId; Query SK begins_with EXPORT#, descending, Limit 1
//   - export lifecycle:                PutItem queued; conditional UpdateItem on status and claim
//   - an import:                       GetItem PK=SCHOOL#id SK=IMPORT#importId
//   - import history, newest first:    Query PK=SCHOOL#id, SK begins_with IMPORT#, descending
//   - import lifecycle:                conditional UpdateItem on the import item
//   - a confirmed chunk of rows:       TransactWriteItems: the import's counts and
//     done-chunk set, and the groups' member counts
//   - claim an invitation for sending: conditional UpdateItem queued → sending
//   - a school's sends today:          UpdateItem ADD on the MAILDAY# item, conditional on the limit
//   - work past its bound (sweeper):   Query GSI3 GSI3PK=DUE#n, GSI3SK <= now, for each n
//   - a school's oldest queued mail:   Query GSI4 GSI4PK=MAILQ#school, ascending
//   - a school's turn at sending:      GetItem / conditional UpdateItem of the MAILTURN item
//   - a slot at the account's rate:    conditional UpdateItem of the SENDPACE item
//
// Every item carries a "type" attribute so stream filters can pick items.
// The table's stream images are decoded in stream.go, with these names.
package dynamo

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/schoolroster/rosterimport/internal/roster"
)

// Attribute names shared by every item.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	attrGSI3PK = "GSI3PK"
	attrGSI3SK = "GSI3SK"
	attrGSI4PK = "GSI4PK"
	attrType   = "type"
)

// Attribute names that expressions and stream images use. The item structs'
// dynamodbav tags spell the same names (Go tags cannot name constants);
// TestAttributeNamesAreTags keeps the two in step.
const (
	attrSchoolID = "schoolId" // import, user
	attrImportID = "importId" // import
	attrJobID    = "jobId"    // send job
	attrExportID = "exportId" // users export
	attrEmail    = "email"    // user, user index
	attrName     = "name"     // school, group
	attrGroupID  = "groupId"  // group, group name

	// Import items.
	attrStatus          = "status" // also users, send jobs, exports
	attrClaim           = "claim"  // also send jobs, exports
	attrUpdatedAt       = "updatedAt"
	attrCounts          = "counts"
	attrErrorCounts     = "errorCounts"
	attrSkipReasons     = "skipReasons"
	attrWarnings        = "warnings"
	attrPreview         = "preview"
	attrPreviewNote     = "previewNote"
	attrValidatedAt     = "validatedAt"
	attrFailureReason   = "failureReason" // also exports
	attrSendInvitations = "sendInvitations"
	attrConfirmedBy     = "confirmedBy"
	attrConfirmedAt     = "confirmedAt"
	attrProgressDone    = "progressDone"
	attrProgressTotal   = "progressTotal"
	attrCreated         = "created"
	attrUpdated         = "updated"
	attrUnchanged       = "unchanged"
	attrSkippedMember   = "skippedMember"
	attrSkippedInvited  = "skippedInvited"
	attrFailed          = "failed"
	attrSkippedRemoved  = "skippedRemoved"
	attrUpdateExisting  = "updateExisting"
	attrLinksCreated    = "linksCreated"
	attrLinksUpdated    = "linksUpdated"
	attrLinksUnchanged  = "linksUnchanged"
	attrLinksFailed     = "linksFailed"
	attrChunksDone      = "chunksDone"
	attrFailures        = "failures"
	attrCompletedAt     = "completedAt"
	attrArtifacts       = "artifacts" // a map: artifact name -> object key

	// Group items.
	attrMemberCount = "memberCount"

	// User items, with their invitation state.
	attrRole            = "role"
	attrFirstName       = "firstName"
	attrLastName        = "lastName"
	attrGroups          = "groups"
	attrInvitedAt       = "invitedAt"
	attrJoinedAt        = "joinedAt"
	attrInvitedBy       = "invitedBy"
	attrInvitedByImport = "invitedByImport"
	attrUpdatedByImport = "updatedByImport"
	attrSealedToken     = "sealedToken"
	attrSendCount       = "sendCount"
	attrMailStatus      = "mailStatus"
	attrMailQueuedAt    = "mailQueuedAt"
	attrMailMessageID   = "mailMessageId"
	attrMailSentAt      = "mailSentAt"
	attrMailError       = "mailError"
	attrMailNote        = "mailNote"
	attrMailDueAt       = "mailDueAt"
	attrRedrives        = "redrives" // also imports
	attrVersion         = "version"
	attrRemovedAt       = "removedAt"
	attrRemovedBy       = "removedBy"
	attrSub             = "sub"

	// Mail turns and the send pace.
	attrTurn   = "turn"
	attrOpen   = "open"
	attrEmpty  = "empty"
	attrTurnAt = "turnAt"
	attrTAT    = "tat" // Unix milliseconds: when the account may next send

	// User index items.
	attrWords = "words" // " word word ... email": contains(words, " q") finds a word starting with q

	// Send jobs; mail days.
	attrSent   = "sent"
	attrCursor = "cursor"

	// Users exports.
	attrRows      = "rows"
	attrObjectKey = "objectKey"
	attrAttempts  = "attempts"

	// Users' ids, and relationships.
	attrUserID  = "userId" // user, user id
	attrRelType = "relType"
)

// Item types, the value of the "type" attribute.
const (
	typeSchool       = "school"
	typeGroup        = "group"
	typeGroupName    = "groupname"
	typeUser         = "user"
	typeUserIndex    = "userindex"
	typeImport       = "import"
	typeSendJob      = "sendjob"
	typeExport       = "exportjob"
	typeUserID       = "userid"
	typeRelationship = "relationship"
	typeMailDay      = "mailday"
	typeMailTurn     = "mailturn"
	typeSendPace     = "sendpace"
)

// GSI1 is the sparse index of live invitation tokens by hash.
const GSI1 = "GSI1"

// GSI2 indexes members by email across schools.
const GSI2 = "GSI2"

// GSI3 is the sparse index of waiting work by the time it is due.
const GSI3 = "GSI3"

// DueShards is how many GSI3 partitions the waiting work spreads over.
const DueShards = 8

// dueShard is the GSI3 partition of the item with these keys.
func dueShard(pk, sk string) string {
	h := fnv.New32a()
	h.Write([]byte(pk))
	h.Write([]byte{0})
	h.Write([]byte(sk))
	return dueShardPK(int(h.Sum32() % DueShards))
}

func dueShardPK(n int) string { return "DUE#" + strconv.Itoa(n) }

// dueAt is the GSI3 sort key of a bound: whole Unix seconds, rounded up so
// an item is never due early.
func dueAt(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// GSI4 is the sparse index of each school's queued mail, oldest first.
const GSI4 = "GSI4"

// mailQueuePK is the GSI4 partition of a school's queued mail.
func mailQueuePK(schoolID string) string { return "MAILQ#" + schoolID }

const (
	mailTurnSK = "MAILTURN"
	accountPK  = "ACCOUNT"
	sendPaceSK = "SENDPACE"
)

func mailDaySK(day string) string { return "MAILDAY#" + day }

// artifactPath is the document path of one artifact's key in an import item.
func artifactPath(a roster.Artifact) string { return attrArtifacts + "." + string(a) }

func schoolPK(schoolID string) string { return "SCHOOL#" + schoolID }

const schoolSK = "SCHOOL"

const groupPrefix = "GROUP#"

func groupSK(groupID string) string { return groupPrefix + groupID }

func groupNameSK(name string) string { return "GNAME#" + roster.GroupKey(name) }

const userPrefix = "USER#"

func userSK(email string) string { return userPrefix + email }

func tokenPK(hash string) string { return "TOKEN#" + hash }

func memberPK(email string) string { return "MEMBER#" + email }

const importPrefix = "IMPORT#"

func importSK(importID string) string { return importPrefix + importID }

func sendJobSK(jobID string) string { return "JOB#" + jobID }

const exportPrefix = "EXPORT#"

func exportSK(exportID string) string { return exportPrefix + exportID }

func userIDSK(id string) string { return "UID#" + id }

const relPrefix = "REL#"

func relSK(student, parent string) string { return relPrefix + student + "#" + parent }

func parentPK(schoolID, parent string) string { return "PARENT#" + schoolID + "#" + parent }

// userIndexPK is the partition of the users list for one facet: a search
// prefix, a group and a status, each optional; see userindex.go.
func userIndexPK(schoolID, facet string) string { return schoolPK(schoolID) + "#USERS#" + facet }

// facet names one combination of filters, in a fixed order.
func facet(prefix, groupID string, status roster.UserStatus) string {
	var parts []string
	if prefix != "" {
		parts = append(parts, "p:"+prefix)
	}
	if groupID != "" {
		parts = append(parts, "g:"+groupID)
	}
	if status != "" {
		parts = append(parts, "s:"+string(status))
	}
	return strings.Join(parts, "|")
}

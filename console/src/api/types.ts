// The API's JSON as the console uses it: every type is generated from the
// HTTP API's OpenAPI document (api/openapi.yaml) into schema.d.ts by
// `npm run api-types`, so the console and the API cannot drift apart
// unnoticed (tsc fails).
import type { components } from './schema';

type Schemas = components['schemas'];

export type ImportKind = Schemas['ImportKind'];
export type ImportStatus = Schemas['ImportStatus'];
export type PreviewRow = Schemas['PreviewRow'];
export type RowStatus = PreviewRow['status'];
export type Import = Schemas['Import'];
export type ImportCreated = Schemas['ImportCreated'];
export type ImportList = Schemas['ImportPage'];
export type StartImportRequest = Schemas['StartImport'];
export type Membership = Schemas['Membership'];
export type Me = Schemas['Me'];
export type School = Schemas['School'];
export type FileLink = Schemas['FileURL'];
export type Accepted = Schemas['Accepted'];
export type User = Schemas['User'];
export type UserList = Schemas['UserList'];
export type UserStatus = Schemas['UserStatus'];
export type UpdateRequest = Schemas['UpdateRequest'];
export type Group = Schemas['Group'];
export type Role = Schemas['Role'];
export type Link = Schemas['Link'];
export type InviteRequest = Schemas['InviteRequest'];
export type SendResult = Schemas['SendResult'];
export type GroupList = Schemas['GroupList'];
export type UsersExport = Schemas['UsersExport'];

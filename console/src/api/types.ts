// The API's JSON, as the console uses it.
export type ImportKind = 'users' | 'relationships';
export type ImportStatus =
  | 'awaiting_upload'
  | 'validating'
  | 'ready'
  | 'queued'
  | 'importing'
  | 'completed'
  | 'completed_with_errors'
  | 'failed';
export type RowStatus = 'valid' | 'invalid' | 'skipped' | 'updated' | 'unchanged';

export interface PreviewRow {
  row: number;
  status: RowStatus;
  error?: string;
  reason?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  group?: string;
  userId?: string;
  studentEmail?: string;
  studentId?: string;
  parentEmail?: string;
  parentId?: string;
  relationshipType?: string;
}

export interface Import {
  schoolId: string;
  id: string;
  kind: ImportKind;
  status: ImportStatus;
  fileName: string;
  declaredSize: number;
  uploadedBy: string;
  createdAt: string;
  updatedAt: string;
  counts: { total: number; valid: number; invalid: number; skipped: number; updated: number; unchanged: number };
  errorCounts?: Record<string, number>;
  skipReasons?: Record<string, number>;
  warnings?: string[];
  preview?: PreviewRow[];
  previewNote?: string;
  failureReason?: string;
  sendInvitations: boolean;
  confirmedBy?: string;
  confirmedAt?: string;
  progress: { done: number; total: number };
  results: { created: number; updated: number; unchanged: number; skippedMember: number; skippedInvited: number; failed: number };
  completedAt?: string;
  upload?: { url: string; method: string; headers: Record<string, string>; expiresAt: string };
}

export interface ImportList {
  imports: Import[];
  nextCursor?: string;
}

export interface StartImportRequest {
  kind: ImportKind;
  fileName?: string;
  size?: number;
  csv?: string;
}

export interface Membership {
  schoolId: string;
  schoolName: string;
  role: string;
  status: string;
}

export interface Me {
  email: string;
  schools: Membership[];
}

export interface Group {
  id: string;
  name: string;
  memberCount: number;
}

export interface School {
  id: string;
  name: string;
  groups: Group[];
}

export interface FileLink {
  url: string;
}

export interface Accepted extends Membership {
  email: string;
  joinedAt?: string;
}

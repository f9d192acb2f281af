export type { InboxEntry, OutgoingEntry } from './entry.js';
export { buildEntry, entryKey, inboxEntrySchema } from './entry.js';
export type { MailboxErrorCode, MailboxErrorOptions } from './errors.js';
export { isMailboxError, MailboxError } from './errors.js';
export type { InboxEvents, InboxOptions, InboxSnapshot, InvalidEntryEvent, OperationOptions } from './inbox.js';
export { Inbox } from './inbox.js';
export type { QuarantineEvent } from './inbox-store.js';
export type { WatchOptions } from './inbox-watch.js';
export { InboxWatcher } from './inbox-watch.js';
export {
	formatAgentId,
	LEAD_NAME,
	resolveTeamsRoot,
	sanitizePathComponent,
	sanitizeTeamDirName,
} from './paths.js';
export type { CreateTeamOptions, MemberInput, TeamOptions } from './team.js';
export { Team } from './team.js';
export type { TeamConfig, TeamMember } from './team-config.js';
export { memberColors } from './team-config.js';

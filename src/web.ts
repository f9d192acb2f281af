/**
`swarm-mailbox/web`: the approval page for a running Leader, for phone and desktop, with push notifications. A separate
entry point so the HTTP server loads only when asked for.
*/

export type { RequestView } from './web/board.js';
export type { ApprovalPageEvents, ApprovalPageOptions, NotificationReport } from './web/options.js';
export { ApprovalPage, serveApprovalPage } from './web/server.js';

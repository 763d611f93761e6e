// @ts-check
// The shapes the widget reads from the server, for JSDoc types only: no module imports this
// at run time (types are referenced as import("./types.js").Enquiry).

/**
 * A staff member as the widget sees it (the directory, an enquiry's owner).
 * @typedef {object} Person
 * @property {number} id
 * @property {string} display_name
 * @property {string} [avatar_url]
 * @property {string} availability "active" | "busy" | "away" | "offline"
 */

/** @typedef {{id: number, name: string, available: boolean}} DirectoryTag */

/**
 * The page's #cc-config, written by channels_adapters/widget_views.widget_config.
 * @typedef {object} WidgetConfig
 * @property {string} key the channel's key
 * @property {string} company_name
 * @property {string} color
 * @property {string} position
 * @property {number} width the panel's width on a desktop (CSS px)
 * @property {number} height the panel's height on a desktop (CSS px)
 * @property {string} greeting
 * @property {string} welcome_message
 * @property {boolean} open_now within the organisation's work hours (re-read while open: chat/live.js)
 * @property {{type: string, name: string, staff: Person | null}} destination
 * @property {number} [refresh_seconds] how often the open widget reads this config again
 * @property {{enabled: boolean, fields: string[], required: string[]}} form
 * @property {{tags: DirectoryTag[], staff: Person[]}} directory
 * @property {{message_chars: number, note_chars: number, upload_bytes: number, note_files?: number}} limits
 * @property {Choice} [start] web link pages only: what the page opens on (widget_views.weblink_start)
 * @property {boolean} [note_button] the Note button (a note without chatting) is shown
 * @property {boolean} [rate_anytime] "Rate this conversation" is offered while chatting
 */

/**
 * The visitor's view of an enquiry (GET /api/v1/widget/enquiries/<id>).
 * @typedef {object} Enquiry
 * @property {number} id
 * @property {string} status "open" | "handling" | "resolved" | "missed" | "closed"
 * @property {number} [room]
 * @property {number | null} [queue_position]
 * @property {boolean} [with_robot] open and still answered by the channel's robot
 * @property {Person | null} [owner]
 * @property {string | null} [missed_reason]
 * @property {boolean} [can_leave_note]
 * @property {boolean} [can_rate]
 * @property {boolean} [rating_invited] the agent asked for a rating
 * @property {object | null} [note]
 * @property {object | null} [rating]
 * @property {{email?: string, phone?: string} | null} [visitor]
 */

/**
 * @typedef {object} FileInfo
 * @property {string} url
 * @property {string} [thumbnail_url]
 * @property {string} [name]
 * @property {number} [size]
 * @property {string} [category] "image" for pictures, "voice" for voice messages
 * @property {number | null} [duration_ms] voice messages: the length, when the server read it
 */

/**
 * A message of the room (REST pages, socket events).
 * @typedef {object} Message
 * @property {number} id
 * @property {number} room
 * @property {string} kind "text", "file", ...
 * @property {string} text
 * @property {{type: string, id?: number | null, name?: string}} author type "visitor" | "staff" | "system"
 * @property {string | null} [client_id]
 * @property {string} [created_at] ISO 8601
 * @property {number | null} [reply_to] the id of the message this one replies to
 * @property {string | null} [edited_at]
 * @property {string | null} [recalled_at]
 * @property {{file?: FileInfo, preview?: LinkPreview, bot?: string} | null} [data]
 */

/**
 * A link preview as the server gives it (rooms.previews.preview_public): the image is the
 * server's copy ("/api/v1/messages/<id>/preview-image") or empty.
 * @typedef {object} LinkPreview
 * @property {string} url
 * @property {string} title
 * @property {string} description
 * @property {string} image
 */

/** What the visitor chose before the start form: a team (tag) or a person. */
/** replaces: the conversation going on that starting this one ends (the call-to-action card). */
/** @typedef {{tag?: string, staff?: number, staffName?: string, replaces?: number}} Choice */

export {};

// @ts-check
// The one state object of an open room (the dashboard's room view, /app/rooms/<id>), and the
// shapes of what the API sends about a room. chat.js creates one RoomState per opened room
// and hands it to every module of the view; the modules keep nothing of their own.
// No DOM and no imports here: tests/js/room_state.test.js creates it under node.

/** @typedef {{type: "staff" | "visitor" | "system", id: number | null, name: string}} Author */

/**
 * @typedef {object} MessageFile a file message's file (data.file)
 * @property {string} url
 * @property {string} name
 * @property {string} category "image" | "video" | "voice" | "audio" | "document" ...
 * @property {number} [size] bytes
 * @property {number} [width] images: pixels
 * @property {number} [height] images: pixels
 * @property {string} [thumbnail_url] images
 * @property {number | null} [duration_ms] voice messages: the length, when the server could read it
 */

/**
 * @typedef {object} MessageData what the server adds to a message
 * @property {number[]} [mentions] ids of the staff it mentions
 * @property {boolean} [mention_all]
 * @property {MessageFile} [file]
 * @property {{state: string, label?: string}} [media] a platform's file still downloading, or failed
 * @property {{url: string, title?: string, description?: string, image?: string}} [preview] link preview
 * @property {{author: string, author_type: string}} [forwarded] a forward: who wrote the original (staff only)
 * @property {string | {state: string}} [delivery] to a platform: pending, sent, delivered, read, failed
 * @property {{to: string, channel: number}} [sms] sent from the room as an SMS to the customer's phone (room/sms.js)
 * @property {string} [bot] a system/bot message's kind ("intro", "welcome", "robot"...)
 * @property {string} [robot] a robot message: "welcome", "answer" or "handover"
 * @property {number[]} [articles] a robot answer's knowledge-base articles
 * @property {number} [score] a robot answer's match score (0..1)
 * @property {boolean} [ai] a robot answer written by the AI provider
 */

/**
 * @typedef {object} Message a message as the API and the socket send it
 * @property {number} id
 * @property {number} room
 * @property {string} kind "text" | "file" | "system"
 * @property {string} text
 * @property {Author | null} author null for system messages
 * @property {string} [client_id]
 * @property {number | null} [reply_to]
 * @property {number | null} [forwarded_from]
 * @property {MessageData} [data]
 * @property {string} created_at ISO time
 * @property {string | null} [edited_at]
 * @property {string | null} [recalled_at]
 */

/**
 * @typedef {object} RoomEnquiry an enquiry room's enquiry (RoomInfo.enquiry)
 * @property {number} id
 * @property {string} status "open" | "handling" | "resolved" | "closed" | "missed" ...
 * @property {string} [kind]
 * @property {string} [channel]
 * @property {{id: number, name: string, identity: string} | null} [channel_detail]
 * @property {string} [language]
 * @property {any} [location]
 * @property {string} [topic]
 * @property {import("../tag_tree.js").ConversationTag[]} [tags] conversation tags
 * @property {{id: number, name: string} | null} [owner]
 * @property {string} [created_at]
 * @property {string | null} [picked_up_at]
 * @property {string | null} [auto_close_at] a resolved enquiry: when it closes by itself (null: kept open)
 * @property {number | null} [first_response_seconds] from the customer's first message
 * @property {number} [duration_seconds] from the customer's first message; counts while it goes on
 * @property {string | null} [resolved_at]
 * @property {string | null} [closed_at]
 * @property {string} [channel_kind] the channel's kind (channel: what the customer came through, "weblink" for a web link)
 * @property {{kind: string, value: string, known_from: string}[]} [origin] the customer's language, time zone, country
 * @property {string | null} [missed_reason] a missed enquiry's reason
 * @property {{text: string, contact: string, files?: import("../note_files.js").NoteFile[]} | null} [note] a missed enquiry's note
 * @property {boolean} [rated] the customer rated it
 * @property {FollowUp | null} [follow_up] a missed enquiry's follow-up
 */

/**
 * @typedef {object} FollowUp a missed enquiry's follow-up
 * @property {boolean} handled
 * @property {string | null} handled_at
 * @property {{id: number, display_name: string} | null} handled_by
 * @property {{id: number, display_name: string} | null} assignee
 */

/** @typedef {{id: number, name: string, email?: string, role: string, availability: string}} Member */
/** @typedef {{role: string, mute: string, last_read_message_id: number, unread?: number}} Membership */

/**
 * @typedef {object} RoomInfo a room as GET /api/v1/rooms/<id> answers
 * @property {number} [id]
 * @property {string} kind "enquiry" | "direct" | "space" | ...
 * @property {string} [name]
 * @property {string} [description]
 * @property {boolean} [is_private]
 * @property {Member[]} members
 * @property {Membership | null} me null when an admin looks without being a member
 * @property {RoomEnquiry | null} [enquiry]
 * @property {Record<string, any> | null} [visitor] enquiry rooms (first_name, ..., name)
 * @property {Record<string, any> | null} [device]
 * @property {Record<string, any> | null} [utm]
 * @property {{name: string, type: string, endpoint: string} | null} [destination]
 * @property {Record<string, any> | null} [contact] direct rooms: the other staff member
 */

/** @typedef {{label: string, detail: string, insert: string}} Suggestion */
/** @typedef {{kind: "/" | "@", query: string, start: number, end: number}} ComposerToken */

/**
 * @typedef {object} RoomUi the view's elements (room/layout.js builds them)
 * @property {HTMLElement} main the page's main element the view draws into
 * @property {HTMLElement} layout
 * @property {HTMLElement} title
 * @property {HTMLElement} subtitle
 * @property {HTMLElement} actions the header's enquiry actions
 * @property {HTMLButtonElement} infoToggle
 * @property {HTMLOListElement} list the messages
 * @property {HTMLElement} scroller
 * @property {HTMLButtonElement} jump "New messages ↓"
 * @property {HTMLElement} typing "… is typing"
 * @property {HTMLElement} banner monitoring
 * @property {HTMLElement} replyBar
 * @property {HTMLTextAreaElement} textarea
 * @property {HTMLUListElement} suggest quick replies and mentions
 * @property {HTMLInputElement} fileInput
 * @property {HTMLButtonElement} send
 * @property {HTMLElement} progress upload progress
 * @property {HTMLFormElement} composer
 * @property {HTMLElement} infoPanel
 */

/**
 * @typedef {object} RoomHandlers what buttons drawn by one module do in another (chat.js
 * wires them, so modules lower down need not import the ones above them)
 * @property {(m: Message) => void} reply
 * @property {(m: Message) => void} copy
 * @property {(m: Message) => void} forward
 * @property {(m: Message) => void} edit
 * @property {(m: Message) => void} recall
 * @property {() => void} resolve
 * @property {() => void} transfer
 * @property {() => void} leave
 * @property {() => void} join
 * @property {() => void} takeOver
 * @property {() => void} rateInvite
 */

/**
 * @typedef {object} RoomState everything the room view knows about the open room
 * @property {number} roomId
 * @property {boolean} monitorParam the URL asks for monitoring (?monitor=1)
 * @property {() => boolean} stale true once the dashboard has routed elsewhere
 * @property {RoomInfo | null} info the room's information (null until loaded)
 * @property {boolean} monitor read-only live monitoring (an admin, member or not)
 * @property {boolean} watching monitoring over the socket ({"type": "watch"}), not by membership
 * @property {Map<number, Message>} messages id -> message on screen
 * @property {Map<string, HTMLLIElement>} pendingByClient client_id -> "sending…" line
 * @property {number | null} replyTo the id of the message being replied to
 * @property {ReturnType<typeof setTimeout> | null} readTimer a read marker waiting to go
 * @property {ReturnType<typeof setTimeout> | null} typingTimer clears "… is typing"
 * @property {number} lastTypingSent Date.now() of the last typing notice sent
 * @property {number} infoLoads info reloads on their way (the panel is aria-busy meanwhile)
 * @property {{replies: {shortcut: string, text: string}[] | null, options: Suggestion[], active: number, token: ComposerToken | null}} suggest
 *   the composer's suggestions: quick replies (loaded once), the options shown, the
 *   highlighted one, and the token (shortcut or name) they replace
 * @property {(() => void)[]} disposers what to undo when the view goes
 * @property {RoomUi | null} ui the view's elements (null until room/layout.js builds them)
 * @property {RoomHandlers | null} handlers set by chat.js
 */

/**
 * A fresh state for a room being opened.
 * @param {{roomId: number, monitorParam: boolean, stale: () => boolean}} options
 * @returns {RoomState}
 */
export function createRoomState({ roomId, monitorParam, stale }) {
  return {
    roomId,
    monitorParam,
    stale,
    info: null,
    monitor: monitorParam,
    watching: false,
    messages: new Map(),
    pendingByClient: new Map(),
    replyTo: null,
    readTimer: null,
    typingTimer: null,
    lastTypingSent: 0,
    infoLoads: 0,
    suggest: { replies: null, options: [], active: 0, token: null },
    disposers: [],
    ui: null,
    handlers: null,
  };
}

/**
 * English strings of the website widget. `launcher` is all the loader bundles (it must stay
 * under 3 KB gzipped); `chat` is for the lazily loaded chat UI. Every language file has the same
 * keys (de.ts is typed against these); `{name}`-style slots are filled by `format`.
 */

export const launcher = {
  label: "Chat with us",
  welcomeOpen: "Open the chat",
  dismiss: "Dismiss",
};

export const chat = {
  unread: "{count} unread",
  dialog: "Chat with {name}",
  fallbackName: "Chat",
  /** Under the heading, by how soon the team usually replies (decision 050; the server sends the bucket). */
  replyFewMinutes: "The team usually replies in a few minutes",
  replyUnder15: "The team usually replies in under 15 minutes",
  replyUnderHour: "The team usually replies in under an hour",
  replyFewHours: "The team usually replies in a few hours",
  replyDay: "The team usually replies within a day",
  /** Under the heading while a special day's hours keep the chat open (decision 053): `{time}` on the visitor's clock; the day's name follows in brackets. */
  openUntil: "Open today until {time}",
  /** The same when the closing falls on another day on the visitor's clock: `{time}` has its weekday. */
  openUntilDay: "Open until {time}",
  close: "Close chat",
  messages: "Messages",
  you: "You",
  bot: "Bot",
  agent: "Agent",
  system: "Note",
  typing: "Typing…",
  inputLabel: "Your message",
  placeholder: "Write a message…",
  placeholderChoice: "Or type your answer…",
  placeholderEmail: "name@example.com",
  placeholderPhone: "+49 30 1234567",
  placeholderNumber: "A number",
  placeholderDate: "YYYY-MM-DD",
  send: "Send",
  chooseSeveral: "Choose all that apply",
  chooseBetween: "Choose {min} to {max}",
  sending: "Sending…",
  notSent: "Not sent.",
  retry: "Retry",
  failed: "Your message could not be sent: {reason}",
  connectFailed: "We could not connect to the chat.",
  conversationClosed: "This conversation has ended. Write to start a new one.",
  conversationReopened: "The team reopened this conversation. You can write here again.",
  opensInNewTab: "(opens in a new tab)",
  image: "Image",
  poweredBy: "Powered by Parley",
  awayTitle: "We're away",
  awayEmail: "Your email",
  awayMessage: "Your message",
  awaySend: "Send message",
  awayThanks: "Thanks! We got your message and will reply by email.",
  /** Under the away message (and the away form): `{email}` becomes a mailto link. */
  awayContact: "Or email us at {email}",
  /** Under the away message when the hours open again later: `{when}` is a weekday, date and time on the visitor's clock. */
  awayBack: "We're back on {when}.",
  /** Before the back line when the team is off for a named closed date: `{name}` is the holiday's name, as the team wrote it. */
  awayClosedFor: "We're closed today for {name}.",
  invalidEmail: "Please enter a valid email address, like name@example.com.",
  emptyMessage: "Please write a message.",
  /** The language tag sizes are written in ("1.5 MB"). */
  locale: "en",
  attach: "Attach a file",
  fileTooLarge: "“{name}” is {size}: files up to {max} can be sent.",
  fileEmpty: "“{name}” is empty.",
  fileUnavailable: "could not be loaded",
  /** The card at the end of a closed conversation's transcript (rating-card.ts). */
  ratingQuestion: "How was your conversation?",
  rating1: "Terrible",
  rating2: "Bad",
  rating3: "OK",
  rating4: "Good",
  rating5: "Great",
  /** A score button's name and the thanks line's score: `{word}` is one of rating1–rating5. */
  ratingScore: "{score} – {word}",
  ratingComment: "Anything we could do better?",
  ratingOptional: "(optional)",
  ratingThanks: "Thanks for your feedback!",
  ratingYours: "Your rating: {score}",
  ratingChange: "Change",
  ratingFailed: "Your rating could not be sent: {reason}",
  /** Under the rating card of a closed conversation (transcript-card.ts). */
  transcriptAction: "Email me this conversation",
  transcriptTo: "Send a copy of this conversation to {email}?",
  transcriptOther: "Use another address",
  transcriptSend: "Send copy",
  transcriptSent: "On its way to {email}: it should arrive within a few minutes.",
  transcriptLater: "You have asked for this conversation by email recently. Please try again later.",
  transcriptUnavailable: "This conversation cannot be sent by email right now.",
  transcriptFailed: "The copy could not be sent: {reason}",
};

export type LauncherStrings = { readonly [K in keyof typeof launcher]: string };
export type ChatStrings = { readonly [K in keyof typeof chat]: string };

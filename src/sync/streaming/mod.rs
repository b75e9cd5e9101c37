//! Streaming (spec §1.8, §7.4), sans I/O: Split's auth API gives a token and channels, Split's
//! event stream (server-sent events) carries notifications, and a [`Session`] turns them into
//! [`Action`]s for the host: apply an update, poll while streaming does not serve, reconnect
//! with backoff, refresh the token before it expires.
//!
//! - [`sse`]: the event-stream parser (bytes in, events out);
//! - [`notification`]: Split's notification JSON and inline definitions (base64, gzip, zlib);
//! - [`session`]: the connection's state machine.
//!
//! Behind the `streaming` feature (the Worker's Durable Object uses it; the npm package does not
//! ship it).

pub mod notification;
pub mod session;
pub mod sse;

pub use notification::{Control, Notification, NotificationError};
pub use session::{Action, Phase, Session, StreamingConfig, StreamingStats, Update};
pub use sse::{SseEvent, SseItem, SseParser};

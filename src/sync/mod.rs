//! Synchronization with Split's SDK API (spec §7.1–7.3), sans I/O: a [`Synchronizer`] decides
//! which requests to make and applies their responses to a [`Snapshot`](crate::Snapshot); the host
//! carries the HTTP out, reports outcomes, and says what time it is.
//!
//! A *run* (one polling tick):
//! 1. `GET {sdk}/splitChanges?s=1.3&since=<ff>[&rbSince=<rbs>][&sets=…|&names=…&prefixes=…]`,
//!    applied (ARCHIVED and filtered-out flags removed), again with `since = till` until the server
//!    answers `since == till` for flags and rule-based segments;
//! 2. the segments the rules reference are registered (never unregistered), and every registered
//!    segment is fetched in parallel: `GET {sdk}/segmentChanges/<name>?since=<cn>`, each again with
//!    `since = till` until `since == till`;
//! 3. the run ends when every request has its outcome: [`Step::Done`] or [`Step::Failed`].
//!
//! ```
//! use split_edge::http::{HttpOutcome, Identity};
//! use split_edge::sync::{Step, SyncConfig, Synchronizer};
//! use split_edge::Snapshot;
//!
//! let mut snapshot = Snapshot::new();
//! let mut sync = Synchronizer::new(SyncConfig::new(Identity::new("my-server-side-sdk-key")));
//! let now_ms = 1_700_000_000_000;
//! let mut to_send = sync.start(&snapshot, now_ms)?;
//! assert_eq!(to_send[0].url, "https://sdk.split.io/api/splitChanges?s=1.3&since=-1&rbSince=-1");
//! while let Some(request) = to_send.pop() {
//!     // The host sends `request` (its method, URL and headers) and reports what came back.
//!     let outcome = HttpOutcome::response(200, r#"{"ff":{"d":[],"s":-1,"t":5},"rbs":{"d":[],"s":-1,"t":5}}"#);
//!     match sync.on_response(&mut snapshot, request.id, outcome, now_ms) {
//!         Step::Send(more) => to_send.extend(more),
//!         Step::Done(report) => println!("synced: flags at {}", report.flags_change_number),
//!         Step::Failed { error, .. } => eprintln!("sync failed: {error}"),
//!         Step::Ignored => {}
//!     }
//! }
//! assert_eq!(snapshot.flags_change_number(), 5);
//! # Ok::<(), split_edge::sync::SyncError>(())
//! ```
//!
//! Failures: a 401, a 403 or 404 on `splitChanges`, a 403 on a segment or a 414 stop the run
//! ([`SyncError::is_fatal`]); anything else (no response, 5xx, 429, 304, an unparseable body, the
//! page limit) fails the run once every other request is done, keeps what was applied, and the next
//! run retries from the stored change numbers.
//!
//! The [`Synchronizer`] and [`large_segments`] are behind the `sync` feature (on by default); the
//! flag filter, the URLs and the status types are always here.

mod error;
mod filter;
#[cfg(feature = "sync")]
pub mod large_segments;
pub mod memberships;
mod status;
#[cfg(feature = "streaming")]
pub mod streaming;
#[cfg(feature = "sync")]
mod synchronizer;
mod urls;

pub use error::{Resource, SyncError};
pub use filter::{FilterError, FilterType, FilterValidation, FilterWarning, FlagFilter, SplitFilter};
pub use memberships::SyncMode;
pub use status::{RequestCounts, RunReport, SyncStatus};
#[cfg(feature = "sync")]
pub use synchronizer::{Step, SyncConfig, Synchronizer, DEFAULT_RUN_TIMEOUT_MS, PROXY_RECHECK_MS};

/// Pages a change list may take in one run before the run gives up on it.
pub const DEFAULT_MAX_PAGES: u32 = 100;
pub use urls::{segment_changes_url, split_changes_url, SpecVersion};

//! Why a synchronization run failed, said so that an operator knows what to do.

use std::fmt;

use super::memberships::MembershipsError;
use crate::error::LoadError;

/// The Split API resource a request was for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `GET {sdk}/splitChanges`: flags and rule-based segments.
    SplitChanges,
    /// `GET {sdk}/segmentChanges/<name>`: one segment's keys.
    SegmentChanges(String),
    /// `GET {sdk}/memberships/<key>`: the segments one key is in (client-side mode).
    Memberships(String),
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::SplitChanges => f.write_str("splitChanges"),
            Resource::SegmentChanges(name) => write!(f, "segmentChanges/{name}"),
            Resource::Memberships(key) => write!(f, "memberships/{key}"),
        }
    }
}

/// Why a synchronization run failed. Whatever was applied before the failure is kept.
///
/// [`SyncError::is_fatal`] tells errors that retrying cannot fix (the SDK key or the filter
/// configuration must change) from those the next run retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError {
    /// 401 on any request, or 403 on `splitChanges`: the SDK key was rejected. The run stopped.
    KeyRejected {
        /// The status (401 or 403).
        status: u16,
        /// Where it happened.
        resource: Resource,
    },
    /// 404 on `splitChanges`: an invalid SDK key or a wrong SDK URL. The run stopped.
    NotFound,
    /// 403 on `segmentChanges`: the key is not a server-side SDK key. The run stopped.
    WrongKeyType {
        /// The segment being fetched.
        segment: String,
    },
    /// 414 on `splitChanges`: the flag-set filter makes the URL too long. The run stopped.
    TooManySets,
    /// Any other non-2xx status (304 included). Retried by the next run.
    Status {
        /// Where it happened.
        resource: Resource,
        /// The status code.
        status: u16,
    },
    /// No response (DNS, connection, TLS, timeout). Retried by the next run.
    Network {
        /// Where it happened.
        resource: Resource,
        /// The host's description.
        message: String,
    },
    /// A 2xx body that does not parse; nothing of it was applied. Retried by the next run.
    MalformedBody {
        /// Where it happened.
        resource: Resource,
        /// What is wrong with the body.
        error: LoadError,
    },
    /// The server kept answering `since != till` for more pages than a run allows. What was
    /// applied is kept; the next run continues from there.
    PageLimit {
        /// Which change list did not converge.
        resource: Resource,
        /// How many pages were applied.
        pages: u32,
    },
    /// A 2xx `memberships` body that does not parse; nothing of it was applied. Retried by the
    /// next run.
    MalformedMemberships {
        /// The key whose memberships were asked for.
        key: String,
        /// What is wrong with the body.
        error: MembershipsError,
    },
    /// A client-side operation (binding a key, restoring memberships) on a synchronizer in
    /// server-side mode.
    NotClientSide,
    /// `start` was called while a run is still waiting for outcomes.
    RunInProgress {
        /// When the running run started (the `now_ms` given to `start`).
        started_ms: u64,
    },
}

impl SyncError {
    /// Whether retrying cannot help until the configuration changes: a rejected or wrong-type SDK
    /// key, a 404 on `splitChanges`, or too many flag sets for the URL.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            SyncError::KeyRejected { .. }
                | SyncError::NotFound
                | SyncError::WrongKeyType { .. }
                | SyncError::TooManySets
        )
    }

    /// The resource the failed request was for, when there was one.
    pub fn resource(&self) -> Option<Resource> {
        match self {
            SyncError::KeyRejected { resource, .. }
            | SyncError::Status { resource, .. }
            | SyncError::Network { resource, .. }
            | SyncError::MalformedBody { resource, .. }
            | SyncError::PageLimit { resource, .. } => Some(resource.clone()),
            SyncError::NotFound | SyncError::TooManySets => Some(Resource::SplitChanges),
            SyncError::WrongKeyType { segment } => Some(Resource::SegmentChanges(segment.clone())),
            SyncError::MalformedMemberships { key, .. } => Some(Resource::Memberships(key.clone())),
            SyncError::RunInProgress { .. } | SyncError::NotClientSide => None,
        }
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::KeyRejected { status, resource: resource @ Resource::Memberships(_) } => write!(
                f,
                "the SDK key was rejected ({status}) on {resource}: use a valid client-side SDK key of this \
                 environment (check it has not been revoked)"
            ),
            SyncError::KeyRejected { status, resource } => write!(
                f,
                "the SDK key was rejected ({status}) on {resource}: use a valid server-side SDK key of this \
                 environment (check it has not been revoked)"
            ),
            SyncError::NotFound => f.write_str(
                "Invalid SDK key or resource not found (404) on splitChanges: check the SDK key and the SDK API URL",
            ),
            SyncError::WrongKeyType { segment } => write!(
                f,
                "segmentChanges/{segment} was forbidden (403): you passed a client-side type SDK key, please grab an \
                 SDK key from Harness FME of type server-side"
            ),
            SyncError::TooManySets => f.write_str(
                "splitChanges answered 414 (URI too long): the amount of flag sets in the filter is too big; \
                 reduce the bySet filter",
            ),
            SyncError::Status { resource, status } => {
                write!(f, "{resource} answered HTTP {status}; the data loaded so far is kept and the next run retries")
            }
            SyncError::Network { resource, message } => {
                write!(f, "{resource} failed without a response ({message}); the next run retries")
            }
            SyncError::MalformedBody { resource, error } => write!(
                f,
                "{resource} returned a body that does not parse ({error}); nothing of it was applied, the next run \
                 retries"
            ),
            SyncError::PageLimit { resource, pages } => write!(
                f,
                "{resource} did not converge (since != till) after {pages} pages; the data loaded so far is kept and \
                 the next run continues from there"
            ),
            SyncError::MalformedMemberships { key, error } => write!(
                f,
                "memberships/{key} returned a body that does not parse ({error}); nothing of it was applied, the \
                 next run retries"
            ),
            SyncError::NotClientSide => f.write_str(
                "keys and memberships belong to client-side synchronization: configure SyncMode::ClientSide (the \
                 browser shape, settings.core.key) to bind keys",
            ),
            SyncError::RunInProgress { started_ms } => write!(
                f,
                "a sync run started at {started_ms} ms is still waiting for responses: report their outcomes, or \
                 abort() it"
            ),
        }
    }
}

impl std::error::Error for SyncError {}

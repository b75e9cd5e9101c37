//! # split-edge-worker
//!
//! split-evaluator's REST API (spec §8) on Cloudflare Workers, answering from rollout data in
//! Workers KV that admin pushes or the cron's synchronization with Split (pull mode) store there,
//! and delivering impressions, events and the impression listener's posts.
//!
//! Everything but the Workers glue is sans-I/O and tested natively: settings ([`config`], and
//! [`sdk_settings`] for Split's URLs, the SDK key, the recorder and fallbacks), authorization
//! ([`auth`]), the admin routes' CORS policy ([`cors`]), the stored form of pushed data ([`state`]), its KV layout ([`layout`]), what a
//! synchronization run changes in it ([`pull`]), request inputs ([`params`]), the client and
//! manager endpoints ([`api`]) and the admin endpoints ([`admin`]). The glue (wasm32 only) reads
//! and writes KV, keeps each environment's core object (snapshot, recorder, synchronizer) in the
//! isolate, re-reading the manifest at most every N seconds (`SPLIT_EDGE_REVALIDATE_SECONDS`,
//! default 10): new data is served within N s of landing in KV. It sends the core's HTTP
//! requests with `fetch` (posts that are due after each request in `waitUntil`; everything, and
//! the synchronization, on cron runs) and reports each outcome back.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
#![warn(missing_docs)]

pub mod admin;
pub mod api;
pub mod auth;
pub mod body;
pub mod bulk;
pub mod config;
pub mod cors;
pub mod delivery;
pub mod docs;
pub mod large;
pub mod layout;
pub mod ofrep;
pub mod outbound;
pub mod params;
pub mod pull;
pub mod sdk_settings;
pub mod state;
pub mod stream;

#[cfg(target_arch = "wasm32")]
mod glue;

/// Helpers shared by the native tests.
#[cfg(test)]
pub(crate) mod test_support {
    use split_edge::sdk::{SplitEdge, SplitEdgeConfig};

    /// A core object over the demo snapshot's flags (no segments).
    pub(crate) fn demo_edge() -> SplitEdge {
        let mut edge = SplitEdge::new(SplitEdgeConfig::new("k")).unwrap();
        let flags = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/splits.json")).unwrap();
        edge.snapshot_mut().apply_split_changes_json(&flags).unwrap();
        edge
    }

    /// A GET request of the API with `query`.
    pub(crate) fn get(path: &str, query: &[(&str, &str)]) -> crate::params::ApiRequest {
        crate::params::ApiRequest {
            method: "GET".into(),
            path: path.into(),
            query: query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ..Default::default()
        }
    }
}

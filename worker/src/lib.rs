//! # split-edge-worker
//!
//! split-evaluator's REST API (spec §8) on Cloudflare Workers, answering from rollout data that
//! admin pushes store in Workers KV.
//!
//! Everything but the Workers glue is sans-I/O and tested natively: settings ([`config`]),
//! authorization ([`auth`]), the stored form of pushed data ([`state`]), its KV layout
//! ([`layout`]), request inputs ([`params`]), the client and manager endpoints ([`api`]) and the
//! admin endpoints ([`admin`]). The glue (wasm32 only) reads and writes KV and keeps each
//! environment's compiled snapshot in the isolate, re-reading the manifest at most every N
//! seconds (`SPLIT_EDGE_REVALIDATE_SECONDS`, default 10): new data is served within N s of
//! landing in KV.

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
pub mod config;
pub mod layout;
pub mod params;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod glue;

//! # split-edge
//!
//! An evaluation engine for Split (Harness FME) feature flags that answers exactly as Split's
//! official JavaScript SDK does, built to run where requests arrive: natively, or compiled to
//! WebAssembly in a Worker, a browser or Node.
//!
//! The crate is sans-I/O: it loads `splitChanges` and `segmentChanges` bodies into a
//! [`Snapshot`], and a [`Client`] over that snapshot evaluates flags. Hosts own fetching, timers
//! and storage.
//!
//! ```
//! use split_edge::{Client, ClientConfig, Key, Snapshot};
//!
//! let mut snapshot = Snapshot::new();
//! snapshot.apply_split_changes_json(r#"{"ff":{"d":[{
//!     "name":"new_checkout","trafficTypeName":"user","seed":1,"status":"ACTIVE","killed":false,
//!     "defaultTreatment":"off","changeNumber":1,"conditions":[{"conditionType":"ROLLOUT",
//!     "matcherGroup":{"combiner":"AND","matchers":[{"matcherType":"ALL_KEYS","negate":false}]},
//!     "partitions":[{"treatment":"on","size":100}],"label":"default rule"}]}],"s":-1,"t":1}}"#)?;
//! let config = ClientConfig::default();
//! let client = Client::new(&snapshot, &config);
//! assert_eq!(client.get_treatment(&Key::new("user-1"), "new_checkout", None), "on");
//! # Ok::<(), split_edge::LoadError>(())
//! ```
//!
//! Beyond evaluation, [`sdk::SplitEdge`] is what a host runs: evaluations that record
//! impressions ([`impressions`], OPTIMIZED / DEBUG / NONE), `track` ([`events`]), delivery of
//! both to Split in its bulk formats ([`wire`], [`recorder`], with retries inside hard memory
//! bounds) and synchronization with Split's SDK API ([`sync`]). All of it is sans-I/O: requests
//! come out as [`http::HttpRequest`] values, outcomes go back in, and time is passed in.
//!
//! The semantics, section by section, are in the project's `spec/split-semantics.md`; where the
//! JS SDK throws or recurses without bound, split-edge answers (see the README's decisions).

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

#[cfg(feature = "binary")]
pub mod binary;
pub mod bulk;
pub mod client;
pub mod compiled;
pub mod conformance;
pub mod error;
pub mod eval;
pub mod events;
pub mod explain;
pub mod fallback;
pub mod hash;
pub mod http;
pub mod impressions;
pub mod js;
pub mod key;
pub mod labels;
#[cfg(feature = "localhost")]
pub mod localhost;
pub mod manager;
pub mod model;
pub mod openfeature;
pub mod order;
pub mod recorder;
pub mod regex;
pub mod sdk;
pub mod semver;
pub mod snapshot;
pub mod sync;
pub mod validate;
pub mod wire;

pub use client::{
    CallTarget, Client, ClientConfig, Decision, EvaluationOptions, Evaluations, TreatmentResult, TreatmentWithConfig,
};
pub use error::LoadError;
pub use eval::Attributes;
pub use fallback::{FallbackError, FallbackTreatment, FallbackTreatments};
pub use key::Key;
pub use manager::{Manager, SplitView};
pub use snapshot::Snapshot;
pub use validate::ValidationError;

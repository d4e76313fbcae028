//! # resilient-coding-agent core
//!
//! Everything the product *decides*, with no I/O and no clock (the sans-IO style of quinn-proto
//! and str0m). The host shim (JavaScript) performs effects: it passes `now`, file contents and
//! tmux observations in, and gets back plain data: argv arrays to run, files to write, actions to
//! take and when to look again.
//!
//! - [`validate`], [`spec`]: untrusted input checked into a [`model::TaskSpec`].
//! - [`profiles`]: each agent CLI's flags, resume command and success rules, as data.
//! - [`plan`], [`wrapper`]: tmux argv arrays and the constant wrapper script; no user data ever
//!   reaches a shell string.
//! - [`session_id`], [`classify`], [`reset_hint`]: reading agent output; [`event_grammar`]
//!   (with [`events`]): how each agent's event stream says success or failure, as data.
//! - [`conversation`]: resume or start again (has the agent saved its conversation yet?).
//! - [`monitor`], [`schedule`]: the per-task state machine and the recovery backoff;
//!   [`clock`]: wall-clock steps told apart from elapsed time.
//! - [`usage`]: tokens and cost read from the agents' events (profile data), and budgets.
//! - [`redact`]: secrets removed from anything returned to a caller.
//! - [`wasm_api`]: the only module with `#[wasm_bindgen]` exports. Values cross it through the
//!   serde derives of the types above (serde-wasm-bindgen), whose TypeScript declarations tsify
//!   generates (`#[derive(tsify::Tsify)]`): each shape is described once, in Rust.
//!
//! Input from outside never panics: it is validated into a [`error::CoreError`] with a stable
//! code.

pub mod agents;
pub mod breaker;
pub mod classify;
pub mod clock;
pub mod conversation;
pub mod error;
pub mod event_grammar;
pub mod events;
pub mod fresh_restart;
pub mod model;
pub mod monitor;
pub mod patterns;
pub mod plan;
pub mod profiles;
pub mod record;
pub mod redact;
pub mod reset_hint;
pub mod schedule;
pub mod session_id;
pub mod spec;
pub mod task_env;
pub mod usage;
pub mod validate;
pub mod wasm_api;
pub mod wrapper;

pub use error::{CoreError, CoreResult};

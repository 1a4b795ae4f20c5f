//! A hand-written client for the Genesys Cloud REST endpoints Bridgekeeper uses.
//!
//! - Routes are values ([`Route`]); requests are values ([`Request`], built by [`request::build`] and
//!   [`oauth::grants`]) that tests inspect without sending.
//! - The base URL comes from configuration ([`Environment`]): a region (HTTPS) or a custom origin such
//!   as the emulator (plain HTTP only on loopback).
//! - Tokens come from an injected [`TokenSource`]; they are a secret type and never logged.
//! - Errors ([`Error`]) carry a [`ErrorKind`], the HTTP status, the vendor [`genesys_model::ErrorBody`],
//!   the `ININ-Correlation-Id`, and for decode failures the JSON path.
//! - One retry layer ([`RetryPolicy`]): 429 honours `Retry-After` for any method; 5xx and connection
//!   failures back off for reads only; PATCH/DELETE are never repeated.
//! - One request budget per session ([`Budget`]): background reads are paced to a share of the
//!   token's rate limit and pause together on a 429; people's actions ([`Priority::Interactive`])
//!   never wait behind them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), genesys_client::Error> {
//! use genesys_client::{Client, Environment, StaticToken};
//! use genesys_model::{ConversationId, MediaParticipantRequest, ParticipantId};
//!
//! let client = Client::builder(Environment::custom("http://127.0.0.1:8080")?)
//!     .token_source(StaticToken::new("token"))
//!     .build()?;
//! let accepted = client
//!     .patch_participant(&ConversationId::new("c"), &ParticipantId::new("p"), &MediaParticipantRequest::disconnect())
//!     .await?;
//! println!("accepted, correlation id {:?}", accepted.correlation_id);
//! # Ok(()) }
//! ```

pub mod auth;
pub mod budget;
pub mod client;
pub mod config;
pub mod error;
pub mod oauth;
pub mod request;
pub mod retry;
pub mod route;

pub use auth::{
    AccessToken, NoToken, StaticToken, TokenError, TokenErrorKind, TokenFuture, TokenSource,
};
pub use budget::{Budget, BudgetConfig, BudgetStats, Priority};
pub use client::{Accepted, CORRELATION_HEADER, Client, ClientBuilder, Response};
pub use config::{Environment, Region};
pub use error::{Error, ErrorKind};
pub use oauth::{AuthorizeRequest, ClientCredentials, OAuthClient, OAuthState, PkceVerifier};
pub use request::{Auth, Body, QueueQuery, Request};
pub use retry::{RateLimitSnapshot, RetryPolicy};
pub use route::{Host, RetryClass, Route};

/// The wire types, re-exported so callers need one dependency.
pub use genesys_model as model;

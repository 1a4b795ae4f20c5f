//! Sign-in: PKCE through the system browser and a loopback redirect, sessions that refresh when
//! they can and say "sign in again" when they cannot.

mod error;
mod loopback;

pub use error::AuthError;
pub use loopback::{
    DEFAULT_CALLBACK_TIMEOUT, DEFAULT_REDIRECT_PATH, DEFAULT_REDIRECT_PORT, LoopbackConfig,
    LoopbackListener,
};

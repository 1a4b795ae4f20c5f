//! Sign-in: PKCE through the system browser and a loopback redirect (or, headless, an address the
//! user pastes back), sessions that refresh when they can and say "sign in again" when they cannot.

mod environment;
mod error;
mod loopback;
mod session;
mod sign_in;

pub use environment::{
    EnvironmentChoiceError, choose_environment, environment_choice, environment_label,
};
pub use error::AuthError;
pub use loopback::{
    DEFAULT_CALLBACK_TIMEOUT, DEFAULT_REDIRECT_PATH, DEFAULT_REDIRECT_PORT, LoopbackConfig,
    LoopbackListener, Pasted, check_pasted,
};
pub use session::{
    DEFAULT_REFRESH_MARGIN, Lifecycle, Session, SessionOptions, SessionStatus, SessionUser,
};
pub use sign_in::{PasteCheck, SignIn, SignInConfig};

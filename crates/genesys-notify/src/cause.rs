//! The error underneath a notification failure, kept as a typed source so the chain survives.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// An underlying error (a socket error, a REST failure) kept as the `source()` of the error that
/// carries it. Shared so those errors stay `Clone`; transparent, so the chain reads the cause's
/// own text and then its own source.
#[derive(Clone)]
pub struct Cause(Arc<dyn Error + Send + Sync + 'static>);

impl Cause {
    /// Keeps `error` as a cause.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }

    /// The error itself, to downcast (`cause.get().downcast_ref::<genesys_client::Error>()`).
    pub fn get(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// Causes compare by their text: the errors that carry one stay comparable in tests and state
/// checks, which look at what happened, not at the object.
impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for Cause {}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use tokio_tungstenite::tungstenite;

    use crate::transport::TransportError;

    #[test]
    fn a_socket_error_stays_below_the_transport_error() {
        let error = TransportError::caused_by("read", tungstenite::Error::ConnectionClosed);
        assert_eq!(
            error.to_string(),
            "websocket read failed: Connection closed normally"
        );
        let cause = error.source().expect("the socket error is kept");
        let cause = cause
            .downcast_ref::<super::Cause>()
            .expect("kept as a Cause");
        assert!(matches!(
            cause.get().downcast_ref::<tungstenite::Error>(),
            Some(tungstenite::Error::ConnectionClosed)
        ));
        assert_eq!(error.clone(), error, "still Clone and Eq");
        assert_ne!(error, TransportError::new("read", "reset"));
    }
}

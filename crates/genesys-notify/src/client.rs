//! [`Provisioner`] on top of `genesys-client`: its routes, retry/429 layer, token source and error kinds.

use genesys_client::{Client, Error, ErrorKind};
use genesys_model::ids::ChannelId;
use genesys_model::{ChannelTopic, ChannelTopicState};
use url::Url;

use crate::cause::Cause;
use crate::provision::{ChannelInfo, ProvisionError, Provisioner, RejectedTopic};

/// Provisions channels through a shared `genesys_client::Client` (one per signed-in session).
///
/// Subscriptions are replaced with `ignoreErrors=true`: a topic the user may not see comes back as a
/// [`RejectedTopic`] instead of refusing the whole list. A 401 (or no token) becomes
/// [`ProvisionError::Unauthorized`], which closes the notification client with `SessionExpired`.
#[derive(Clone, Debug)]
pub struct ClientProvisioner {
    client: Client,
}

impl ClientProvisioner {
    /// Wraps the session's REST client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

/// Sorts a REST failure into what the state machine does about it.
pub fn provision_error(err: Error) -> ProvisionError {
    let correlation_id = err.correlation_id().map(str::to_owned);
    let message = err.vendor_message().unwrap_or_else(|| err.to_string());
    match err.kind() {
        ErrorKind::Unauthorized | ErrorKind::NotSignedIn => ProvisionError::Unauthorized {
            status: err.status().unwrap_or(401),
            correlation_id,
        },
        ErrorKind::NotFound => ProvisionError::ChannelGone,
        ErrorKind::RateLimited => ProvisionError::RateLimited {
            retry_after: err.retry_after(),
        },
        ErrorKind::BadRequest
        | ErrorKind::Forbidden
        | ErrorKind::InvalidConfig
        | ErrorKind::InvalidRequest => ProvisionError::Rejected {
            status: err.status().unwrap_or(400),
            code: err.code().map(str::to_owned),
            message,
            correlation_id,
        },
        // Server, Unreachable, Decode, UnexpectedStatus and kinds added later: worth another attempt.
        _ => ProvisionError::Transient {
            status: err.status(),
            message: err.to_string(),
            source: Some(Cause::new(err)),
        },
    }
}

impl Provisioner for ClientProvisioner {
    async fn create_channel(&self) -> Result<ChannelInfo, ProvisionError> {
        let channel = self
            .client
            .create_channel()
            .await
            .map_err(provision_error)?;
        let connect_uri = channel
            .connect_uri
            .ok_or_else(|| ProvisionError::Transient {
                status: Some(200),
                message: "the channel came without a connectUri".into(),
                source: None,
            })?;
        // The socket must be as safe as the REST calls: wss, or ws only to a loopback emulator.
        let parsed = Url::parse(&connect_uri).ok();
        let scheme = parsed.as_ref().map(Url::scheme);
        let loopback_ws = scheme == Some("ws")
            && self.client.environment().is_loopback()
            && parsed.as_ref().is_some_and(is_loopback);
        if scheme != Some("wss") && !loopback_ws {
            return Err(ProvisionError::Rejected {
                status: 200,
                code: None,
                message: "the channel's connectUri is not a secure WebSocket address".into(),
                correlation_id: None,
            });
        }
        Ok(ChannelInfo {
            id: channel.id,
            connect_uri,
            expires: channel.expires.map(|t| t.instant()),
        })
    }

    async fn replace_subscriptions(
        &self,
        channel: &ChannelId,
        topics: &[String],
    ) -> Result<Vec<RejectedTopic>, ProvisionError> {
        let entries: Vec<ChannelTopic> = topics
            .iter()
            .map(|t| ChannelTopic {
                id: t.clone(),
                state: None,
                rejection_reason: None,
                missing_permissions: Vec::new(),
                self_uri: None,
            })
            .collect();
        let listing = self
            .client
            .replace_subscriptions(channel, &entries, true)
            .await
            .map_err(provision_error)?;
        Ok(listing
            .entities
            .into_iter()
            .filter(|t| t.state == Some(ChannelTopicState::Rejected))
            .map(|t| {
                let mut reason = t.rejection_reason.unwrap_or_else(|| "rejected".to_owned());
                if !t.missing_permissions.is_empty() {
                    reason = format!("{reason} (missing {})", t.missing_permissions.join(", "));
                }
                RejectedTopic {
                    topic: t.id,
                    reason,
                }
            })
            .collect())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

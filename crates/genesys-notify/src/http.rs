//! [`Provisioner`] over HTTP: the two notification REST calls, done directly with reqwest.
//!
//! This is a minimal local equivalent of what `genesys-client` will offer (its notification routes had not
//! landed when this crate was written). It keeps the same contract: error kinds with the vendor code and the
//! `ININ-Correlation-Id`, the token read fresh for every request and never logged, HTTPS except on loopback.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use genesys_model::ids::ChannelId;
use genesys_model::{
    AccessToken, Channel, ChannelTopicEntityListing, ChannelTopicState, ErrorBody,
};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};

use crate::provision::{ChannelInfo, ProvisionError, Provisioner, RejectedTopic};

/// Where the bearer token comes from; asked on every request so a refreshed token is picked up at once.
pub trait AccessTokenSource: Send + Sync + 'static {
    /// The current access token, or `None` when signed out (which closes the client with `SessionExpired`).
    fn access_token(&self) -> Option<AccessToken>;
}

impl AccessTokenSource for AccessToken {
    fn access_token(&self) -> Option<AccessToken> {
        Some(self.clone())
    }
}

impl<F> AccessTokenSource for F
where
    F: Fn() -> Option<AccessToken> + Send + Sync + 'static,
{
    fn access_token(&self) -> Option<AccessToken> {
        self()
    }
}

/// Why an [`HttpProvisioner`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlError {
    /// Not a URL.
    #[error("invalid API base URL: {0}")]
    Invalid(String),
    /// Plain HTTP to anything but a loopback address would expose the token.
    #[error("plain http is only allowed to a loopback emulator, not {0}")]
    InsecureHost(String),
}

/// Provisions notification channels with `POST /channels` and `PUT /channels/{id}/subscriptions?ignoreErrors=true`.
#[derive(Clone)]
pub struct HttpProvisioner {
    http: reqwest::Client,
    base: Url,
    token: Arc<dyn AccessTokenSource>,
}

impl fmt::Debug for HttpProvisioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpProvisioner")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

const CORRELATION_HEADER: &str = "inin-correlation-id";

impl HttpProvisioner {
    /// A provisioner for `api_base` (`https://api.mypurecloud.com`, or `http://127.0.0.1:PORT` for the emulator).
    pub fn new(api_base: &str, token: impl AccessTokenSource) -> Result<Self, BaseUrlError> {
        Self::with_client(reqwest::Client::new(), api_base, token)
    }

    /// Same, sharing an existing HTTP client (connection pool, proxy settings).
    pub fn with_client(
        http: reqwest::Client,
        api_base: &str,
        token: impl AccessTokenSource,
    ) -> Result<Self, BaseUrlError> {
        let base = Url::parse(api_base).map_err(|e| BaseUrlError::Invalid(e.to_string()))?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => {
                return Err(BaseUrlError::InsecureHost(
                    base.host_str().unwrap_or_default().to_owned(),
                ));
            }
            other => return Err(BaseUrlError::Invalid(format!("unsupported scheme {other}"))),
        }
        if base.cannot_be_a_base() {
            return Err(BaseUrlError::Invalid(api_base.to_owned()));
        }
        Ok(Self {
            http,
            base,
            token: Arc::new(token),
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<String>,
    ) -> Result<String, ProvisionError> {
        let token = self
            .token
            .access_token()
            .ok_or(ProvisionError::Unauthorized {
                status: 401,
                correlation_id: None,
            })?;
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ProvisionError::Transient {
                status: None,
                message: without_url(&e),
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| ProvisionError::Transient {
                status: Some(status.as_u16()),
                message: without_url(&e),
            })?;
        if status.is_success() {
            return Ok(text);
        }
        Err(error_from(status, &headers, &text))
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

/// reqwest errors print the URL; ours hold no secret, but keep messages short and uniform.
fn without_url(err: &reqwest::Error) -> String {
    let mut message = err.to_string();
    if let Some(url) = err.url() {
        message = message.replace(url.as_str(), "<url>");
    }
    message
}

fn error_from(status: StatusCode, headers: &HeaderMap, text: &str) -> ProvisionError {
    let body: ErrorBody = serde_json::from_str(text).unwrap_or_default();
    let correlation_id = headers
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let message = body.message.unwrap_or_else(|| format!("HTTP {status}"));
    ProvisionError::from_http(
        status.as_u16(),
        body.code,
        message,
        correlation_id,
        retry_after,
    )
}

impl Provisioner for HttpProvisioner {
    async fn create_channel(&self) -> Result<ChannelInfo, ProvisionError> {
        let url = self.url(&["api", "v2", "notifications", "channels"]);
        let text = self.send(Method::POST, url, None).await?;
        let channel: Channel =
            genesys_model::decode_str(&text).map_err(|e| ProvisionError::Transient {
                status: Some(200),
                message: format!("channel: {e}"),
            })?;
        let connect_uri = channel
            .connect_uri
            .ok_or_else(|| ProvisionError::Transient {
                status: Some(200),
                message: "channel without connectUri".into(),
            })?;
        let secure = connect_uri.starts_with("wss://");
        let local = connect_uri.starts_with("ws://")
            && Url::parse(&connect_uri).is_ok_and(|u| is_loopback(&u));
        // Over https only wss is acceptable; against a loopback emulator ws to loopback is too.
        let acceptable = if self.base.scheme() == "https" {
            secure
        } else {
            secure || local
        };
        if !acceptable {
            return Err(ProvisionError::Rejected {
                status: 200,
                code: None,
                message: "the channel's connectUri is not a secure WebSocket URI".into(),
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
        let mut url = self.url(&[
            "api",
            "v2",
            "notifications",
            "channels",
            channel.as_str(),
            "subscriptions",
        ]);
        url.query_pairs_mut().append_pair("ignoreErrors", "true");
        let body: Vec<serde_json::Value> = topics
            .iter()
            .map(|t| serde_json::json!({ "id": t }))
            .collect();
        let body = serde_json::to_string(&body).map_err(|e| ProvisionError::Transient {
            status: None,
            message: e.to_string(),
        })?;
        let text = self.send(Method::PUT, url, Some(body)).await?;
        let listing: ChannelTopicEntityListing =
            genesys_model::decode_str(&text).map_err(|e| ProvisionError::Transient {
                status: Some(200),
                message: format!("subscriptions: {e}"),
            })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> AccessToken {
        AccessToken::new("t")
    }

    #[test]
    fn only_https_or_loopback_http() {
        assert!(HttpProvisioner::new("https://api.mypurecloud.com", token()).is_ok());
        assert!(HttpProvisioner::new("http://127.0.0.1:8080", token()).is_ok());
        assert!(HttpProvisioner::new("http://localhost:8080/", token()).is_ok());
        assert!(HttpProvisioner::new("http://[::1]:8080", token()).is_ok());
        assert!(matches!(
            HttpProvisioner::new("http://api.mypurecloud.com", token()),
            Err(BaseUrlError::InsecureHost(_))
        ));
        assert!(matches!(
            HttpProvisioner::new("ftp://x", token()),
            Err(BaseUrlError::Invalid(_))
        ));
        assert!(matches!(
            HttpProvisioner::new("not a url", token()),
            Err(BaseUrlError::Invalid(_))
        ));
    }

    #[test]
    fn paths_are_built_segment_by_segment() {
        let p = HttpProvisioner::new("https://api.example.com/", token()).expect("valid");
        let url = p.url(&[
            "api",
            "v2",
            "notifications",
            "channels",
            "a/b?c",
            "subscriptions",
        ]);
        assert_eq!(
            url.as_str(),
            "https://api.example.com/api/v2/notifications/channels/a%2Fb%3Fc/subscriptions"
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let p = HttpProvisioner::new("https://api.example.com", AccessToken::new("sekret"))
            .expect("valid");
        assert!(!format!("{p:?}").contains("sekret"));
    }

    #[test]
    fn error_responses_keep_code_correlation_and_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(CORRELATION_HEADER, "corr-9".parse().expect("header"));
        headers.insert(RETRY_AFTER, "7".parse().expect("header"));
        let body =
            r#"{"message":"Invalid topic","code":"notification.invalid.topic","status":400}"#;
        assert_eq!(
            error_from(StatusCode::BAD_REQUEST, &headers, body),
            ProvisionError::Rejected {
                status: 400,
                code: Some("notification.invalid.topic".into()),
                message: "Invalid topic".into(),
                correlation_id: Some("corr-9".into()),
            }
        );
        assert_eq!(
            error_from(StatusCode::TOO_MANY_REQUESTS, &headers, "not json"),
            ProvisionError::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert!(matches!(
            error_from(StatusCode::UNAUTHORIZED, &headers, ""),
            ProvisionError::Unauthorized {
                status: 401,
                correlation_id: Some(_)
            }
        ));
    }
}

//! Requests as plain values: built without a client, inspectable in tests, sent by [`crate::Client`].

use std::fmt;

use genesys_model::{
    ChannelId, ChannelTopic, ClientSecret, CommunicationId, ConversationId, ConversationQuery,
    MediaParticipantRequest, ParticipantId, QueueId, QueueObservationQuery,
};
use reqwest::Method;
use serde::Serialize;

use crate::error::Error;
use crate::route::{Host, RetryClass, Route};

/// How the request authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token from the TokenSource>` (every REST call).
    Bearer,
    /// `Authorization: Basic base64(client_id:secret)` (confidential token grants).
    Basic {
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        secret: ClientSecret,
    },
    /// No Authorization header (the PKCE token exchange).
    None,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Bearer => f.write_str("Bearer"),
            Auth::Basic { client_id, .. } => write!(f, "Basic({client_id}, <redacted>)"),
            Auth::None => f.write_str("None"),
        }
    }
}

/// A request body and its content type.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    content_type: &'static str,
    bytes: Vec<u8>,
}

impl Body {
    /// `application/json` or `application/x-www-form-urlencoded`.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Form bodies carry codes, verifiers and refresh tokens: never print them.
        if self.content_type == FORM {
            write!(f, "Body({FORM}, {} bytes, <redacted>)", self.bytes.len())
        } else {
            write!(
                f,
                "Body({}, {})",
                self.content_type,
                String::from_utf8_lossy(&self.bytes)
            )
        }
    }
}

pub(crate) const JSON: &str = "application/json";
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// One HTTP request to Genesys, fully built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    name: &'static str,
    method: Method,
    host: Host,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Body>,
    auth: Auth,
    retry: RetryClass,
}

impl Request {
    /// A request for `route`, with bearer auth (none for the token endpoint). Refuses empty or dot-only
    /// ids, which would address a different resource.
    pub fn new(route: Route<'_>) -> Result<Self, Error> {
        for (name, id) in route.ids() {
            if id.is_empty() || id == "." || id == ".." {
                return Err(Error::invalid_request(
                    route.name(),
                    format!("{name} {id:?} is not a valid id"),
                ));
            }
        }
        let auth = if route.host() == Host::Login {
            Auth::None
        } else {
            Auth::Bearer
        };
        Ok(Self {
            name: route.name(),
            method: route.method(),
            host: route.host(),
            path: route.path(),
            query: Vec::new(),
            body: None,
            auth,
            retry: route.retry_class(),
        })
    }

    /// Adds a query parameter (repeat the key for lists, e.g. `id`).
    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::invalid_request(self.name, "body could not be encoded").with_source(e)
        })?;
        self.body = Some(Body {
            content_type: JSON,
            bytes,
        });
        Ok(self)
    }

    /// Sets a form body (token grants).
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            ser.append_pair(k, v);
        }
        self.body = Some(Body {
            content_type: FORM,
            bytes: ser.finish().into_bytes(),
        });
        self
    }

    /// Sets how the request authenticates.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Route name, for logs.
    pub fn route_name(&self) -> &'static str {
        self.name
    }

    /// HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Base the path is joined to.
    pub fn host(&self) -> Host {
        self.host
    }

    /// Percent-encoded path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Query parameters, in order.
    pub fn query_pairs(&self) -> &[(&'static str, String)] {
        &self.query
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    /// The JSON body decoded as a value (tests).
    pub fn body_json(&self) -> Option<serde_json::Value> {
        let body = self.body.as_ref().filter(|b| b.content_type == JSON)?;
        serde_json::from_slice(&body.bytes).ok()
    }

    /// The form body as pairs (tests).
    pub fn body_form(&self) -> Option<Vec<(String, String)>> {
        let body = self.body.as_ref().filter(|b| b.content_type == FORM)?;
        Some(
            url::form_urlencoded::parse(&body.bytes)
                .into_owned()
                .collect(),
        )
    }

    /// Authentication mode.
    pub fn auth_mode(&self) -> &Auth {
        &self.auth
    }

    /// Retry class.
    pub fn retry_class(&self) -> RetryClass {
        self.retry
    }
}

/// Query for `GET /api/v2/routing/queues` (the searchable queue picker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueQuery {
    /// 1-based page.
    pub page_number: u32,
    /// Page size (the API defaults to 25).
    pub page_size: u32,
    /// Name filter; `*` allowed at either end.
    pub name: Option<String>,
    /// Restrict to these ids.
    pub ids: Vec<QueueId>,
}

impl Default for QueueQuery {
    fn default() -> Self {
        Self {
            page_number: 1,
            page_size: 25,
            name: None,
            ids: Vec::new(),
        }
    }
}

/// Pure request builders, one per typed client method.
pub mod build {
    use super::*;

    /// `GET /api/v2/users/me?expand=…`
    pub fn users_me(expand: &[&str]) -> Result<Request, Error> {
        let mut r = Request::new(Route::GetUsersMe)?;
        if !expand.is_empty() {
            r = r.query("expand", expand.join(","));
        }
        Ok(r)
    }

    /// `GET /api/v2/routing/queues`
    pub fn routing_queues(q: &QueueQuery) -> Result<Request, Error> {
        let mut r = Request::new(Route::GetRoutingQueues)?
            .query("pageNumber", q.page_number.to_string())
            .query("pageSize", q.page_size.to_string());
        if let Some(name) = q.name.as_deref().filter(|n| !n.is_empty()) {
            r = r.query("name", name);
        }
        for id in &q.ids {
            r = r.query("id", id.as_str());
        }
        Ok(r)
    }

    /// `GET /api/v2/routing/queues/me`
    pub fn routing_queues_me(page_number: u32, page_size: u32) -> Result<Request, Error> {
        Ok(Request::new(Route::GetRoutingQueuesMe)?
            .query("pageNumber", page_number.to_string())
            .query("pageSize", page_size.to_string()))
    }

    /// `POST /api/v2/analytics/queues/observations/query`
    pub fn queue_observations(query: &QueueObservationQuery) -> Result<Request, Error> {
        Request::new(Route::PostQueueObservationsQuery)?.json(query)
    }

    /// `POST /api/v2/analytics/conversations/details/query`
    pub fn conversation_details(query: &ConversationQuery) -> Result<Request, Error> {
        Request::new(Route::PostConversationDetailsQuery)?.json(query)
    }

    /// `GET /api/v2/conversations/calls`
    pub fn call_conversations() -> Result<Request, Error> {
        Request::new(Route::GetCallConversations)
    }

    /// `GET /api/v2/conversations/calls/{id}`
    pub fn call_conversation(conversation_id: &ConversationId) -> Result<Request, Error> {
        Request::new(Route::GetCallConversation { conversation_id })
    }

    /// `GET /api/v2/conversations/{id}`
    pub fn conversation(conversation_id: &ConversationId) -> Result<Request, Error> {
        Request::new(Route::GetConversation { conversation_id })
    }

    fn non_empty(route: Route<'_>, body: &MediaParticipantRequest) -> Result<(), Error> {
        if body.is_empty() {
            return Err(Error::invalid_request(
                route.name(),
                "the PATCH body sets no field; the server would accept it and change nothing",
            ));
        }
        Ok(())
    }

    /// `PATCH /api/v2/conversations/calls/{c}/participants/{p}`; an empty body is refused (phantom-drop trap).
    pub fn patch_participant(
        conversation_id: &ConversationId,
        participant_id: &ParticipantId,
        body: &MediaParticipantRequest,
    ) -> Result<Request, Error> {
        let route = Route::PatchCallParticipant {
            conversation_id,
            participant_id,
        };
        non_empty(route, body)?;
        Request::new(route)?.json(body)
    }

    /// `PATCH …/participants/{p}/communications/{m}`: the API only accepts `{"state":"disconnected"}` here.
    pub fn patch_communication(
        conversation_id: &ConversationId,
        participant_id: &ParticipantId,
        communication_id: &CommunicationId,
        body: &MediaParticipantRequest,
    ) -> Result<Request, Error> {
        let route = Route::PatchCallParticipantCommunication {
            conversation_id,
            participant_id,
            communication_id,
        };
        non_empty(route, body)?;
        Request::new(route)?.json(body)
    }

    /// `POST /api/v2/conversations/{c}/disconnect` (no body): ends the call for everyone, system wrap-up.
    pub fn disconnect_conversation(conversation_id: &ConversationId) -> Result<Request, Error> {
        Request::new(Route::PostConversationDisconnect { conversation_id })
    }

    /// `GET /api/v2/tokens/me`
    pub fn token_info() -> Result<Request, Error> {
        Request::new(Route::GetTokensMe)
    }

    /// `HEAD /api/v2/tokens/me`
    pub fn verify_token() -> Result<Request, Error> {
        Request::new(Route::HeadTokensMe)
    }

    /// `DELETE /api/v2/tokens/me`
    pub fn revoke_token() -> Result<Request, Error> {
        Request::new(Route::DeleteTokensMe)
    }

    /// `POST /api/v2/notifications/channels`
    pub fn create_channel() -> Result<Request, Error> {
        Request::new(Route::PostNotificationChannels)
    }

    /// `GET /api/v2/notifications/channels`
    pub fn channels() -> Result<Request, Error> {
        Request::new(Route::GetNotificationChannels)
    }

    /// `HEAD /api/v2/notifications/channels/{id}`
    pub fn channel_exists(channel_id: &ChannelId) -> Result<Request, Error> {
        Request::new(Route::HeadNotificationChannel { channel_id })
    }

    /// `GET …/channels/{id}/subscriptions`
    pub fn subscriptions(channel_id: &ChannelId) -> Result<Request, Error> {
        Request::new(Route::GetChannelSubscriptions { channel_id })
    }

    fn topics_body(
        route: Route<'_>,
        topics: &[ChannelTopic],
        ignore_errors: bool,
    ) -> Result<Request, Error> {
        // Only the id is sent, as the API documents (`[{"id":topic}]`).
        let ids: Vec<serde_json::Value> = topics
            .iter()
            .map(|t| serde_json::json!({"id": t.id}))
            .collect();
        let mut r = Request::new(route)?.json(&ids)?;
        if ignore_errors {
            r = r.query("ignoreErrors", "true");
        }
        Ok(r)
    }

    /// `PUT …/subscriptions`: replaces the whole list.
    pub fn replace_subscriptions(
        channel_id: &ChannelId,
        topics: &[ChannelTopic],
        ignore_errors: bool,
    ) -> Result<Request, Error> {
        topics_body(
            Route::PutChannelSubscriptions { channel_id },
            topics,
            ignore_errors,
        )
    }

    /// `POST …/subscriptions`: adds to the list.
    pub fn add_subscriptions(
        channel_id: &ChannelId,
        topics: &[ChannelTopic],
        ignore_errors: bool,
    ) -> Result<Request, Error> {
        topics_body(
            Route::PostChannelSubscriptions { channel_id },
            topics,
            ignore_errors,
        )
    }

    /// `DELETE …/subscriptions`: removes all.
    pub fn delete_subscriptions(channel_id: &ChannelId) -> Result<Request, Error> {
        Request::new(Route::DeleteChannelSubscriptions { channel_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use genesys_model::Topic;

    #[test]
    fn patch_request_is_inspectable() {
        let r = build::patch_participant(
            &ConversationId::new("c"),
            &ParticipantId::new("p"),
            &MediaParticipantRequest::disconnect(),
        )
        .unwrap();
        assert_eq!(r.method(), Method::PATCH);
        assert_eq!(r.path(), "/api/v2/conversations/calls/c/participants/p");
        assert_eq!(
            r.body_json(),
            Some(serde_json::json!({"state": "disconnected"}))
        );
        assert_eq!(r.body().map(Body::content_type), Some(JSON));
        assert_eq!(r.auth_mode(), &Auth::Bearer);
        assert_eq!(r.retry_class(), RetryClass::Write);
    }

    #[test]
    fn empty_patch_and_bad_ids_are_refused() {
        let e = build::patch_participant(
            &ConversationId::new("c"),
            &ParticipantId::new("p"),
            &MediaParticipantRequest::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        for bad in ["", ".", ".."] {
            let e = build::call_conversation(&ConversationId::new(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{bad:?}");
        }
    }

    #[test]
    fn queue_query_parameters() {
        let r = build::routing_queues(&QueueQuery {
            page_number: 2,
            page_size: 50,
            name: Some("Sup*".into()),
            ids: vec![QueueId::new("a"), QueueId::new("b")],
        })
        .unwrap();
        let q: Vec<(&str, &str)> = r
            .query_pairs()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        assert_eq!(
            q,
            [
                ("pageNumber", "2"),
                ("pageSize", "50"),
                ("name", "Sup*"),
                ("id", "a"),
                ("id", "b")
            ]
        );
    }

    #[test]
    fn subscriptions_send_only_ids() {
        let topic = ChannelTopic::new(&Topic::QueueConversationCalls(QueueId::new("q")));
        let r = build::replace_subscriptions(&ChannelId::new("ch"), &[topic], true).unwrap();
        assert_eq!(
            r.body_json(),
            Some(serde_json::json!([{"id": "v2.routing.queues.q.conversations.calls"}]))
        );
        assert_eq!(r.query_pairs(), [("ignoreErrors", "true".to_owned())]);
        assert_eq!(r.method(), Method::PUT);
    }

    #[test]
    fn form_bodies_are_redacted_in_debug() {
        let r = Request::new(Route::PostOAuthToken)
            .unwrap()
            .form(&[("code_verifier", "very-secret")]);
        let debug = format!("{r:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
        let r = r.auth(Auth::Basic {
            client_id: "cid".into(),
            secret: ClientSecret::new("client-secret-x"),
        });
        let debug = format!("{r:?}");
        assert!(!debug.contains("client-secret-x"), "{debug}");
    }
}

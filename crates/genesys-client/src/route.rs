//! Every endpoint the app uses, as one enum that owns method, path and retry class.

use genesys_model::{ChannelId, CommunicationId, ConversationId, ParticipantId};
use reqwest::Method;

/// Which base URL a route lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `https://api.{domain}` (or the custom origin).
    Api,
    /// `https://login.{domain}` (or the custom origin).
    Login,
}

/// Whether repeating a request after a 5xx or a broken connection is harmless.
///
/// 429 is different: a rate-limited request did nothing, so it is retried for every class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Reads (GET, HEAD, the analytics query POSTs) and whole-list replacement (PUT subscriptions): repeat freely.
    Read,
    /// Changes (PATCH, DELETE, POST that creates, token grants): never repeated after the server may have acted.
    Write,
}

/// A Genesys endpoint. Ids are borrowed newtypes, so a participant id cannot land in a conversation slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route<'a> {
    /// `GET /api/v2/users/me`
    GetUsersMe,
    /// `GET /api/v2/routing/queues`
    GetRoutingQueues,
    /// `GET /api/v2/routing/queues/me`
    GetRoutingQueuesMe,
    /// `POST /api/v2/analytics/queues/observations/query`
    PostQueueObservationsQuery,
    /// `POST /api/v2/analytics/conversations/details/query`
    PostConversationDetailsQuery,
    /// `GET /api/v2/conversations/calls`
    GetCallConversations,
    /// `GET /api/v2/conversations/calls/{conversationId}`
    GetCallConversation {
        /// Conversation.
        conversation_id: &'a ConversationId,
    },
    /// `GET /api/v2/conversations/{conversationId}`
    GetConversation {
        /// Conversation.
        conversation_id: &'a ConversationId,
    },
    /// `PATCH /api/v2/conversations/calls/{conversationId}/participants/{participantId}`: drop, mute, hold.
    PatchCallParticipant {
        /// Conversation.
        conversation_id: &'a ConversationId,
        /// The leg.
        participant_id: &'a ParticipantId,
    },
    /// `PATCH /api/v2/conversations/calls/{conversationId}/participants/{participantId}/communications/{communicationId}`
    PatchCallParticipantCommunication {
        /// Conversation.
        conversation_id: &'a ConversationId,
        /// The leg.
        participant_id: &'a ParticipantId,
        /// One of the leg's calls.
        communication_id: &'a CommunicationId,
    },
    /// `POST /api/v2/conversations/{conversationId}/disconnect`: the whole-conversation teardown (last resort).
    PostConversationDisconnect {
        /// Conversation.
        conversation_id: &'a ConversationId,
    },
    /// `GET /api/v2/tokens/me`
    GetTokensMe,
    /// `HEAD /api/v2/tokens/me`
    HeadTokensMe,
    /// `DELETE /api/v2/tokens/me`
    DeleteTokensMe,
    /// `POST /api/v2/notifications/channels`
    PostNotificationChannels,
    /// `GET /api/v2/notifications/channels`
    GetNotificationChannels,
    /// `HEAD /api/v2/notifications/channels/{channelId}`
    HeadNotificationChannel {
        /// Channel.
        channel_id: &'a ChannelId,
    },
    /// `GET /api/v2/notifications/channels/{channelId}/subscriptions`
    GetChannelSubscriptions {
        /// Channel.
        channel_id: &'a ChannelId,
    },
    /// `PUT /api/v2/notifications/channels/{channelId}/subscriptions` (replace)
    PutChannelSubscriptions {
        /// Channel.
        channel_id: &'a ChannelId,
    },
    /// `POST /api/v2/notifications/channels/{channelId}/subscriptions` (add)
    PostChannelSubscriptions {
        /// Channel.
        channel_id: &'a ChannelId,
    },
    /// `DELETE /api/v2/notifications/channels/{channelId}/subscriptions` (remove all)
    DeleteChannelSubscriptions {
        /// Channel.
        channel_id: &'a ChannelId,
    },
    /// `POST /oauth/token` on the login host.
    PostOAuthToken,
}

impl Route<'_> {
    /// The HTTP method.
    pub fn method(&self) -> Method {
        match self {
            Route::GetUsersMe
            | Route::GetRoutingQueues
            | Route::GetRoutingQueuesMe
            | Route::GetCallConversations
            | Route::GetCallConversation { .. }
            | Route::GetConversation { .. }
            | Route::GetTokensMe
            | Route::GetNotificationChannels
            | Route::GetChannelSubscriptions { .. } => Method::GET,
            Route::HeadTokensMe | Route::HeadNotificationChannel { .. } => Method::HEAD,
            Route::PostQueueObservationsQuery
            | Route::PostConversationDetailsQuery
            | Route::PostNotificationChannels
            | Route::PostChannelSubscriptions { .. }
            | Route::PostConversationDisconnect { .. }
            | Route::PostOAuthToken => Method::POST,
            Route::PutChannelSubscriptions { .. } => Method::PUT,
            Route::PatchCallParticipant { .. }
            | Route::PatchCallParticipantCommunication { .. } => Method::PATCH,
            Route::DeleteTokensMe | Route::DeleteChannelSubscriptions { .. } => Method::DELETE,
        }
    }

    /// A stable name for logs, spans and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Route::GetUsersMe => "get_users_me",
            Route::GetRoutingQueues => "get_routing_queues",
            Route::GetRoutingQueuesMe => "get_routing_queues_me",
            Route::PostQueueObservationsQuery => "post_queue_observations_query",
            Route::PostConversationDetailsQuery => "post_conversation_details_query",
            Route::GetCallConversations => "get_call_conversations",
            Route::GetCallConversation { .. } => "get_call_conversation",
            Route::GetConversation { .. } => "get_conversation",
            Route::PatchCallParticipant { .. } => "patch_call_participant",
            Route::PatchCallParticipantCommunication { .. } => {
                "patch_call_participant_communication"
            }
            Route::PostConversationDisconnect { .. } => "post_conversation_disconnect",
            Route::GetTokensMe => "get_tokens_me",
            Route::HeadTokensMe => "head_tokens_me",
            Route::DeleteTokensMe => "delete_tokens_me",
            Route::PostNotificationChannels => "post_notification_channels",
            Route::GetNotificationChannels => "get_notification_channels",
            Route::HeadNotificationChannel { .. } => "head_notification_channel",
            Route::GetChannelSubscriptions { .. } => "get_channel_subscriptions",
            Route::PutChannelSubscriptions { .. } => "put_channel_subscriptions",
            Route::PostChannelSubscriptions { .. } => "post_channel_subscriptions",
            Route::DeleteChannelSubscriptions { .. } => "delete_channel_subscriptions",
            Route::PostOAuthToken => "post_oauth_token",
        }
    }

    /// Which base the path is joined to.
    pub fn host(&self) -> Host {
        match self {
            Route::PostOAuthToken => Host::Login,
            _ => Host::Api,
        }
    }

    /// Whether 5xx and connection failures may be retried.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Route::PostQueueObservationsQuery
            | Route::PostConversationDetailsQuery
            | Route::PutChannelSubscriptions { .. } => RetryClass::Read,
            _ if matches!(self.method(), Method::GET | Method::HEAD) => RetryClass::Read,
            _ => RetryClass::Write,
        }
    }

    /// The ids in the path, named, so empty ones are refused before sending.
    pub(crate) fn ids(&self) -> Vec<(&'static str, &str)> {
        match self {
            Route::GetCallConversation { conversation_id }
            | Route::GetConversation { conversation_id }
            | Route::PostConversationDisconnect { conversation_id } => {
                vec![("conversationId", conversation_id.as_str())]
            }
            Route::PatchCallParticipant {
                conversation_id,
                participant_id,
            } => vec![
                ("conversationId", conversation_id.as_str()),
                ("participantId", participant_id.as_str()),
            ],
            Route::PatchCallParticipantCommunication {
                conversation_id,
                participant_id,
                communication_id,
            } => vec![
                ("conversationId", conversation_id.as_str()),
                ("participantId", participant_id.as_str()),
                ("communicationId", communication_id.as_str()),
            ],
            Route::HeadNotificationChannel { channel_id }
            | Route::GetChannelSubscriptions { channel_id }
            | Route::PutChannelSubscriptions { channel_id }
            | Route::PostChannelSubscriptions { channel_id }
            | Route::DeleteChannelSubscriptions { channel_id } => {
                vec![("channelId", channel_id.as_str())]
            }
            _ => Vec::new(),
        }
    }

    /// The path, with every id percent-encoded as one segment (an id can never add a `/` or `?`).
    pub fn path(&self) -> String {
        let p = Path::new();
        match self {
            Route::GetUsersMe => p.lit("/api/v2/users/me"),
            Route::GetRoutingQueues => p.lit("/api/v2/routing/queues"),
            Route::GetRoutingQueuesMe => p.lit("/api/v2/routing/queues/me"),
            Route::PostQueueObservationsQuery => {
                p.lit("/api/v2/analytics/queues/observations/query")
            }
            Route::PostConversationDetailsQuery => {
                p.lit("/api/v2/analytics/conversations/details/query")
            }
            Route::GetCallConversations => p.lit("/api/v2/conversations/calls"),
            Route::GetCallConversation { conversation_id } => p
                .lit("/api/v2/conversations/calls")
                .id(conversation_id.as_str()),
            Route::GetConversation { conversation_id } => {
                p.lit("/api/v2/conversations").id(conversation_id.as_str())
            }
            Route::PatchCallParticipant {
                conversation_id,
                participant_id,
            } => p
                .lit("/api/v2/conversations/calls")
                .id(conversation_id.as_str())
                .lit("/participants")
                .id(participant_id.as_str()),
            Route::PatchCallParticipantCommunication {
                conversation_id,
                participant_id,
                communication_id,
            } => p
                .lit("/api/v2/conversations/calls")
                .id(conversation_id.as_str())
                .lit("/participants")
                .id(participant_id.as_str())
                .lit("/communications")
                .id(communication_id.as_str()),
            Route::PostConversationDisconnect { conversation_id } => p
                .lit("/api/v2/conversations")
                .id(conversation_id.as_str())
                .lit("/disconnect"),
            Route::GetTokensMe | Route::HeadTokensMe | Route::DeleteTokensMe => {
                p.lit("/api/v2/tokens/me")
            }
            Route::PostNotificationChannels | Route::GetNotificationChannels => {
                p.lit("/api/v2/notifications/channels")
            }
            Route::HeadNotificationChannel { channel_id } => p
                .lit("/api/v2/notifications/channels")
                .id(channel_id.as_str()),
            Route::GetChannelSubscriptions { channel_id }
            | Route::PutChannelSubscriptions { channel_id }
            | Route::PostChannelSubscriptions { channel_id }
            | Route::DeleteChannelSubscriptions { channel_id } => p
                .lit("/api/v2/notifications/channels")
                .id(channel_id.as_str())
                .lit("/subscriptions"),
            Route::PostOAuthToken => p.lit("/oauth/token"),
        }
        .0
    }
}

struct Path(String);

impl Path {
    fn new() -> Self {
        Self(String::with_capacity(96))
    }

    fn lit(mut self, text: &str) -> Self {
        self.0.push_str(text);
        self
    }

    fn id(mut self, segment: &str) -> Self {
        self.0.push('/');
        for byte in segment.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                self.0.push(char::from(byte));
            } else {
                self.0.push_str(&format!("%{byte:02X}"));
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_methods() {
        let c = ConversationId::new("c1");
        let p = ParticipantId::new("p1");
        let m = CommunicationId::new("m1");
        let ch = ChannelId::new("streaming-2-x");
        let cases: Vec<(Route<'_>, Method, &str)> = vec![
            (Route::GetUsersMe, Method::GET, "/api/v2/users/me"),
            (
                Route::GetRoutingQueues,
                Method::GET,
                "/api/v2/routing/queues",
            ),
            (
                Route::GetRoutingQueuesMe,
                Method::GET,
                "/api/v2/routing/queues/me",
            ),
            (
                Route::PostQueueObservationsQuery,
                Method::POST,
                "/api/v2/analytics/queues/observations/query",
            ),
            (
                Route::PostConversationDetailsQuery,
                Method::POST,
                "/api/v2/analytics/conversations/details/query",
            ),
            (
                Route::GetCallConversations,
                Method::GET,
                "/api/v2/conversations/calls",
            ),
            (
                Route::GetCallConversation {
                    conversation_id: &c,
                },
                Method::GET,
                "/api/v2/conversations/calls/c1",
            ),
            (
                Route::GetConversation {
                    conversation_id: &c,
                },
                Method::GET,
                "/api/v2/conversations/c1",
            ),
            (
                Route::PatchCallParticipant {
                    conversation_id: &c,
                    participant_id: &p,
                },
                Method::PATCH,
                "/api/v2/conversations/calls/c1/participants/p1",
            ),
            (
                Route::PatchCallParticipantCommunication {
                    conversation_id: &c,
                    participant_id: &p,
                    communication_id: &m,
                },
                Method::PATCH,
                "/api/v2/conversations/calls/c1/participants/p1/communications/m1",
            ),
            (
                Route::PostConversationDisconnect {
                    conversation_id: &c,
                },
                Method::POST,
                "/api/v2/conversations/c1/disconnect",
            ),
            (Route::GetTokensMe, Method::GET, "/api/v2/tokens/me"),
            (Route::HeadTokensMe, Method::HEAD, "/api/v2/tokens/me"),
            (Route::DeleteTokensMe, Method::DELETE, "/api/v2/tokens/me"),
            (
                Route::PostNotificationChannels,
                Method::POST,
                "/api/v2/notifications/channels",
            ),
            (
                Route::GetNotificationChannels,
                Method::GET,
                "/api/v2/notifications/channels",
            ),
            (
                Route::HeadNotificationChannel { channel_id: &ch },
                Method::HEAD,
                "/api/v2/notifications/channels/streaming-2-x",
            ),
            (
                Route::GetChannelSubscriptions { channel_id: &ch },
                Method::GET,
                "/api/v2/notifications/channels/streaming-2-x/subscriptions",
            ),
            (
                Route::PutChannelSubscriptions { channel_id: &ch },
                Method::PUT,
                "/api/v2/notifications/channels/streaming-2-x/subscriptions",
            ),
            (
                Route::PostChannelSubscriptions { channel_id: &ch },
                Method::POST,
                "/api/v2/notifications/channels/streaming-2-x/subscriptions",
            ),
            (
                Route::DeleteChannelSubscriptions { channel_id: &ch },
                Method::DELETE,
                "/api/v2/notifications/channels/streaming-2-x/subscriptions",
            ),
            (Route::PostOAuthToken, Method::POST, "/oauth/token"),
        ];
        for (route, method, path) in cases {
            assert_eq!(route.method(), method, "{}", route.name());
            assert_eq!(route.path(), path, "{}", route.name());
        }
    }

    #[test]
    fn retry_classes() {
        let c = ConversationId::new("c");
        let p = ParticipantId::new("p");
        let ch = ChannelId::new("ch");
        assert_eq!(Route::GetUsersMe.retry_class(), RetryClass::Read);
        assert_eq!(
            Route::PostQueueObservationsQuery.retry_class(),
            RetryClass::Read
        );
        assert_eq!(
            Route::PostConversationDetailsQuery.retry_class(),
            RetryClass::Read
        );
        assert_eq!(
            Route::HeadNotificationChannel { channel_id: &ch }.retry_class(),
            RetryClass::Read
        );
        assert_eq!(
            Route::PutChannelSubscriptions { channel_id: &ch }.retry_class(),
            RetryClass::Read
        );
        assert_eq!(
            Route::PatchCallParticipant {
                conversation_id: &c,
                participant_id: &p
            }
            .retry_class(),
            RetryClass::Write
        );
        assert_eq!(
            Route::PostConversationDisconnect {
                conversation_id: &c
            }
            .retry_class(),
            RetryClass::Write
        );
        assert_eq!(Route::DeleteTokensMe.retry_class(), RetryClass::Write);
        assert_eq!(
            Route::PostNotificationChannels.retry_class(),
            RetryClass::Write
        );
        assert_eq!(Route::PostOAuthToken.retry_class(), RetryClass::Write);
        assert_eq!(Route::PostOAuthToken.host(), Host::Login);
    }

    #[test]
    fn ids_cannot_escape_their_segment() {
        let c = ConversationId::new("../../users/me?x=1#y");
        let path = Route::GetConversation {
            conversation_id: &c,
        }
        .path();
        assert_eq!(
            path,
            "/api/v2/conversations/..%2F..%2Fusers%2Fme%3Fx%3D1%23y"
        );
        let c = ConversationId::new("é");
        assert_eq!(
            Route::GetConversation {
                conversation_id: &c
            }
            .path(),
            "/api/v2/conversations/%C3%A9"
        );
    }
}

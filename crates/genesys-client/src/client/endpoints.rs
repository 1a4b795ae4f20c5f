//! One typed method per Genesys API call the app makes, each a [`Request`] from `request::build`
//! sent through the client's pipeline.
//!
//! [`Request`]: crate::request::Request

use genesys_model::{
    AnalyticsConversationQueryResponse, CallConversation, CallConversationEntityListing, Channel,
    ChannelEntityListing, ChannelId, ChannelTopic, ChannelTopicEntityListing, CommunicationId,
    Conversation, ConversationId, ConversationQuery, MediaParticipantRequest, ParticipantId,
    QueueEntityListing, QueueObservationQuery, QueueObservationQueryResponse, TokenInfo, UserMe,
};

use super::{Accepted, Client};
use crate::error::{Error, ErrorKind};
use crate::request::{QueueQuery, build};

impl Client {
    /// `GET /api/v2/users/me`, e.g. with `expand=["authorization"]` for the permission pre-check.
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn users_me(&self, expand: &[&str]) -> Result<UserMe, Error> {
        self.json(build::users_me(expand)?).await
    }

    /// Queues matching a search, one page.
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn routing_queues(&self, query: &QueueQuery) -> Result<QueueEntityListing, Error> {
        self.json(build::routing_queues(query)?).await
    }

    /// Queues the user is a member of, one page.
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn routing_queues_me(
        &self,
        page_number: u32,
        page_size: u32,
    ) -> Result<QueueEntityListing, Error> {
        self.json(build::routing_queues_me(page_number, page_size)?)
            .await
    }

    /// Real-time queue observations (which conversations are on the queues now).
    #[tracing::instrument(skip_all, level = "info")]
    pub async fn queue_observations(
        &self,
        query: &QueueObservationQuery,
    ) -> Result<QueueObservationQueryResponse, Error> {
        self.json(build::queue_observations(query)?).await
    }

    /// Conversation details query (active conversations on queues, paged).
    #[tracing::instrument(skip_all, level = "info")]
    pub async fn conversation_details(
        &self,
        query: &ConversationQuery,
    ) -> Result<AnalyticsConversationQueryResponse, Error> {
        self.json(build::conversation_details(query)?).await
    }

    /// The token user's own active calls.
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn call_conversations(&self) -> Result<CallConversationEntityListing, Error> {
        self.json(build::call_conversations()?).await
    }

    /// One call conversation (flat participants).
    #[tracing::instrument(skip(self), fields(conversation_id = %conversation_id), level = "info")]
    pub async fn call_conversation(
        &self,
        conversation_id: &ConversationId,
    ) -> Result<CallConversation, Error> {
        self.json(build::call_conversation(conversation_id)?).await
    }

    /// One conversation (participants with `calls[]`): readable by a supervisor with `conversation:communication:view`.
    #[tracing::instrument(skip(self), fields(conversation_id = %conversation_id), level = "info")]
    pub async fn conversation(
        &self,
        conversation_id: &ConversationId,
    ) -> Result<Conversation, Error> {
        self.json(build::conversation(conversation_id)?).await
    }

    /// Drop, mute, hold or confine one participant. Success (202) means accepted, not done: confirm via
    /// events or a re-read. Never retried after a 5xx; retried after a 429 (which changed nothing).
    #[tracing::instrument(skip(self, body), fields(conversation_id = %conversation_id, participant_id = %participant_id), level = "info")]
    pub async fn patch_participant(
        &self,
        conversation_id: &ConversationId,
        participant_id: &ParticipantId,
        body: &MediaParticipantRequest,
    ) -> Result<Accepted, Error> {
        self.accepted(build::patch_participant(
            conversation_id,
            participant_id,
            body,
        )?)
        .await
    }

    /// Disconnect one communication of a participant (the fallback when a leg has a stuck call).
    #[tracing::instrument(
        skip(self, body),
        fields(conversation_id = %conversation_id, participant_id = %participant_id, communication_id = %communication_id),
        level = "info"
    )]
    pub async fn patch_communication(
        &self,
        conversation_id: &ConversationId,
        participant_id: &ParticipantId,
        communication_id: &CommunicationId,
        body: &MediaParticipantRequest,
    ) -> Result<Accepted, Error> {
        self.accepted(build::patch_communication(
            conversation_id,
            participant_id,
            communication_id,
            body,
        )?)
        .await
    }

    /// Tear down the whole conversation (every party, system wrap-up): only for a call with no live
    /// party left that still shows. 202 means accepted; confirm the end via events or a re-read.
    /// Never retried after a 5xx.
    #[tracing::instrument(skip(self), fields(conversation_id = %conversation_id), level = "info")]
    pub async fn disconnect_conversation(
        &self,
        conversation_id: &ConversationId,
    ) -> Result<Accepted, Error> {
        self.accepted(build::disconnect_conversation(conversation_id)?)
            .await
    }

    /// What the current token is.
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn token_info(&self) -> Result<TokenInfo, Error> {
        self.json(build::token_info()?).await
    }

    /// Checks the token is still accepted (HEAD).
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn verify_token(&self) -> Result<Accepted, Error> {
        self.accepted(build::verify_token()?).await
    }

    /// Revokes the current token (sign out).
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn revoke_token(&self) -> Result<Accepted, Error> {
        self.accepted(build::revoke_token()?).await
    }

    /// Creates a notification channel.
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn create_channel(&self) -> Result<Channel, Error> {
        self.json(build::create_channel()?).await
    }

    /// Lists the token's channels.
    #[tracing::instrument(skip(self), level = "info")]
    pub async fn channels(&self) -> Result<ChannelEntityListing, Error> {
        self.json(build::channels()?).await
    }

    /// Whether a channel still exists (HEAD: 200 true, 404 false).
    #[tracing::instrument(skip(self), fields(channel_id = %channel_id), level = "info")]
    pub async fn channel_exists(&self, channel_id: &ChannelId) -> Result<bool, Error> {
        match self.execute(build::channel_exists(channel_id)?).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The channel's subscriptions.
    #[tracing::instrument(skip(self), fields(channel_id = %channel_id), level = "info")]
    pub async fn subscriptions(
        &self,
        channel_id: &ChannelId,
    ) -> Result<ChannelTopicEntityListing, Error> {
        self.json(build::subscriptions(channel_id)?).await
    }

    /// Replaces the channel's subscriptions (PUT). With `ignore_errors`, refusals come back as `Rejected` entries.
    #[tracing::instrument(skip(self, topics), fields(channel_id = %channel_id, topics = topics.len()), level = "info")]
    pub async fn replace_subscriptions(
        &self,
        channel_id: &ChannelId,
        topics: &[ChannelTopic],
        ignore_errors: bool,
    ) -> Result<ChannelTopicEntityListing, Error> {
        self.json(build::replace_subscriptions(
            channel_id,
            topics,
            ignore_errors,
        )?)
        .await
    }

    /// Adds subscriptions (POST).
    #[tracing::instrument(skip(self, topics), fields(channel_id = %channel_id, topics = topics.len()), level = "info")]
    pub async fn add_subscriptions(
        &self,
        channel_id: &ChannelId,
        topics: &[ChannelTopic],
        ignore_errors: bool,
    ) -> Result<ChannelTopicEntityListing, Error> {
        self.json(build::add_subscriptions(channel_id, topics, ignore_errors)?)
            .await
    }

    /// Removes all subscriptions.
    #[tracing::instrument(skip(self), fields(channel_id = %channel_id), level = "info")]
    pub async fn delete_subscriptions(&self, channel_id: &ChannelId) -> Result<Accepted, Error> {
        self.accepted(build::delete_subscriptions(channel_id)?)
            .await
    }
}

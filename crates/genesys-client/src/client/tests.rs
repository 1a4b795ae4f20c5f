//! The client is thread-safe and builds the URLs the routes name.

use super::*;
use crate::request::build;
use genesys_model::{ConversationId, MediaParticipantRequest, ParticipantId};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn client_and_its_futures_can_cross_threads() {
    assert_send_sync::<Client>();
    assert_send_sync::<crate::oauth::OAuthClient>();
    assert_send_sync::<Error>();
    let client = Client::builder(Environment::custom("http://127.0.0.1:9").unwrap())
        .build()
        .unwrap();
    let (c, p) = (ConversationId::new("c"), ParticipantId::new("p"));
    let body = MediaParticipantRequest::disconnect();
    assert_send(&client.patch_participant(&c, &p, &body));
    assert_send(&client.users_me(&[]));
}

#[test]
fn url_for_joins_base_path_and_query() {
    let client = Client::builder(Environment::custom("http://127.0.0.1:9").unwrap())
        .build()
        .unwrap();
    let url = client
        .url_for(&build::users_me(&["authorization", "token"]).unwrap())
        .unwrap();
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:9/api/v2/users/me?expand=authorization%2Ctoken"
    );
    let region = Client::builder(crate::config::Region::ApSoutheast2)
        .build()
        .unwrap();
    let url = region
        .url_for(&build::call_conversation(&ConversationId::new("c-1")).unwrap())
        .unwrap();
    assert_eq!(
        url.as_str(),
        "https://api.mypurecloud.com.au/api/v2/conversations/calls/c-1"
    );
    let token = region
        .oauth()
        .url_for(
            &crate::oauth::grants::client_credentials(&crate::oauth::ClientCredentials::new(
                "id",
                genesys_model::ClientSecret::new("s"),
            ))
            .unwrap(),
        )
        .unwrap();
    assert_eq!(
        token.as_str(),
        "https://login.mypurecloud.com.au/oauth/token"
    );
}

//! Routing queues: the searchable picker and the user's own queues.

mod common;

use common::*;
use genesys_client::{ErrorKind, QueueQuery};
use genesys_model::QueueId;
use wiremock::Mock;
use wiremock::matchers::{method, path, query_param};

#[tokio::test]
async fn search_queues_sends_paging_name_and_ids() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/routing/queues"))
        .and(query_param("pageNumber", "1"))
        .and(query_param("pageSize", "2"))
        .and(query_param("name", "*port*"))
        .and(bearer())
        .respond_with(genesys_json(200, "queues_page.json"))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .routing_queues(&QueueQuery {
            page_number: 1,
            page_size: 2,
            name: Some("*port*".into()),
            ids: vec![QueueId::new("q-a"), QueueId::new("q-b")],
        })
        .await
        .unwrap();
    assert_eq!(page.entities.len(), 2);
    assert!(page.has_next_page());
    assert_eq!(page.entities[1].name.as_deref(), Some("Support"));
    let url = &server.received_requests().await.unwrap()[0].url;
    let ids: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(ids, ["q-a", "q-b"], "repeated id parameters");
}

#[tokio::test]
async fn my_queues() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/routing/queues/me"))
        .and(query_param("pageNumber", "1"))
        .and(query_param("pageSize", "100"))
        .and(bearer())
        .respond_with(genesys_json(200, "queues_me.json"))
        .expect(1)
        .mount(&server)
        .await;
    let page = client.routing_queues_me(1, 100).await.unwrap();
    assert_eq!(page.entities[0].joined, Some(true));
}

#[tokio::test]
async fn forbidden_keeps_the_vendor_body() {
    let (server, client, _) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/routing/queues"))
        .respond_with(genesys_json(403, "error_missing_permissions.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .routing_queues(&QueueQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(err.code(), Some("missing.any.permissions"));
    assert_eq!(
        err.vendor_message().as_deref(),
        Some(
            "Unable to perform the requested action. You are missing the following permission(s): [conversation:communication:disconnect]"
        )
    );
    assert_eq!(
        err.body().and_then(|b| b.context_id.as_deref()),
        Some("c0ffee00-1234-4abc-8def-0123456789ab")
    );
}

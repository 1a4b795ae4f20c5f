//! Choosing what the board watches: queue search, and the checked, remembered choice of queues
//! and people.

use genesys_client::QueueQuery;
use genesys_model::QueueId;

use super::Desktop;
use super::board::watch_request;
use super::ids::parse_ids;
use crate::ipc::error::IpcError;
use crate::ipc::queues::{
    ListQueuesRequest, ListQueuesResponse, QUEUE_PAGE_SIZE, QueueInfo, SelectQueuesRequest,
    SelectQueuesResponse, WatchedPeople,
};

/// The most queues one board watches (each is a notification topic; a channel takes 1,000).
pub const MAX_QUEUES: usize = 200;
/// People one board may watch by choice (each is one topic; 1,000 fit on a channel).
pub const MAX_PEOPLE: usize = 500;

impl Desktop {
    /// `list_queues`: one page of queues whose name contains the filter.
    pub async fn list_queues(
        &self,
        request: ListQueuesRequest,
    ) -> Result<ListQueuesResponse, IpcError> {
        let (client, selected, people) = self
            .with_signed(|s| (s.client.clone(), s.queues.clone(), s.people.clone()))
            .await?;
        let query = QueueQuery {
            page_size: QUEUE_PAGE_SIZE,
            name: request.name_query(),
            ..QueueQuery::default()
        };
        let listing = client.routing_queues(&query).await?;
        let truncated = listing.has_next_page();
        let mut queues: Vec<QueueInfo> = listing
            .entities
            .into_iter()
            .map(|q| QueueInfo {
                name: q.name.unwrap_or_else(|| q.id.as_str().to_owned()),
                id: q.id.as_str().to_owned(),
            })
            .collect();
        queues.sort_by_key(|q| q.name.to_lowercase());
        Ok(ListQueuesResponse {
            queues,
            selected,
            people,
            truncated,
        })
    }

    /// `select_queues`: checks the ids against Genesys, remembers them, and points the board at them.
    pub async fn select_queues(
        &self,
        request: SelectQueuesRequest,
    ) -> Result<SelectQueuesResponse, IpcError> {
        let ids = parse_ids(&request.queue_ids, "queue")?;
        if ids.len() > MAX_QUEUES {
            return Err(IpcError::invalid(format!(
                "Choose at most {MAX_QUEUES} queues; {} were chosen.",
                ids.len()
            )));
        }
        let user_ids = parse_ids(&request.user_ids, "user")?;
        if user_ids.len() > MAX_PEOPLE {
            return Err(IpcError::invalid(format!(
                "Choose at most {MAX_PEOPLE} people; {} were chosen.",
                user_ids.len()
            )));
        }
        let (client, me) = self
            .with_signed(|s| (s.client.clone(), s.session.user().id.clone()))
            .await?;
        let mut chosen = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let query = QueueQuery {
                page_size: QUEUE_PAGE_SIZE,
                ids: ids.iter().map(|id| QueueId::new(id.clone())).collect(),
                ..QueueQuery::default()
            };
            let found = client.routing_queues(&query).await?.entities;
            for id in &ids {
                match found.iter().find(|q| q.id.as_str() == id) {
                    Some(q) => chosen.push(QueueInfo {
                        id: id.clone(),
                        name: q.name.clone().unwrap_or_else(|| id.clone()),
                    }),
                    None => {
                        return Err(IpcError::invalid(format!(
                            "Queue {id} does not exist or is not visible to you."
                        )));
                    }
                }
            }
        }
        chosen.sort_by_key(|q| q.name.to_lowercase());

        let mut state = self.state.lock().await;
        let Some(signed) = state.signed.as_mut() else {
            return Err(IpcError::not_signed_in());
        };
        let mut prefs = self.prefs.load();
        let people = WatchedPeople {
            user_ids: user_ids.clone(),
            watch_self: request.watch_self,
            watch_queue_people: request.watch_queue_people,
        };
        prefs.set_watch_for(&signed.account, chosen.clone(), people.clone());
        self.save_prefs(&prefs);
        signed.queues = chosen.clone();
        let watch = watch_request(&chosen, &people, &me);
        signed.people = people;
        let existing = signed.live.clone();
        if watch.watch.is_empty() {
            if let Some(live) = signed.live.take() {
                self.stop_forwarder();
                tokio::spawn(async move { live.roster.shutdown().await });
            }
        } else if let Some(live) = existing {
            drop(state);
            live.roster.set_watch(watch).await?;
        } else {
            signed.live = self.start_live(&signed.session, &signed.client, watch);
        }
        tracing::info!(
            queues = chosen.len(),
            people = user_ids.len(),
            "watch selection changed"
        );
        Ok(SelectQueuesResponse { selected: chosen })
    }
}

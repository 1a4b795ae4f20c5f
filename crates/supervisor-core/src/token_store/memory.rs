//! In-memory store for unit tests and for the demo org (nothing of a demo session touches the OS).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{AccountKey, StoredSession, TokenStore, TokenStoreError};

/// Keeps sessions in a map; lets tests run in parallel without a keyring.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<AccountKey, StoredSession>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many sessions are stored, so tests can assert that sign-out removed one.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TokenStore for MemoryStore {
    fn load(&self, key: &AccountKey) -> Result<Option<StoredSession>, TokenStoreError> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(entries.get(key).cloned())
    }

    fn save(&self, key: &AccountKey, session: &StoredSession) -> Result<(), TokenStoreError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.insert(key.clone(), session.clone());
        Ok(())
    }

    fn delete(&self, key: &AccountKey) -> Result<bool, TokenStoreError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(entries.remove(key).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_store::sample_session;

    #[test]
    fn save_load_delete_round_trip() {
        let store = MemoryStore::new();
        let key = AccountKey::new("us_east_1", "c1").expect("key");
        assert_eq!(store.load(&key).expect("load"), None);
        let s = sample_session("c1");
        store.save(&key, &s).expect("save");
        assert_eq!(store.load(&key).expect("load"), Some(s));
        assert_eq!(store.len(), 1);
        assert!(store.delete(&key).expect("delete"));
        assert!(!store.delete(&key).expect("delete again"));
        assert!(store.is_empty());
    }
}

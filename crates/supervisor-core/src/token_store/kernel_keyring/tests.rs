//! The kernel keyring store against the REAL kernel keyring: ignored by a plain `cargo test`
//! (they write to this user's persistent keyring); scripts/test.sh runs them with
//! `--include-ignored`, where a blocked keyctl fails them instead of skipping.

use super::*;
use crate::token_store::sample_session;
use genesys_model::{AccessToken, RefreshToken};

fn unique_key(tag: &str) -> AccountKey {
    AccountKey::new(
        "test-env",
        &format!("kernel-test-{tag}-{}", uuid::Uuid::new_v4()),
    )
    .expect("key")
}

/// Removes the key even when an assertion fails, so no test leaves secrets behind.
struct Cleanup(AccountKey);
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = KernelKeyringStore::new().delete(&self.0);
    }
}

#[test]
fn descriptions_name_the_service_and_the_account() {
    let key = AccountKey::new("us_east_1", "abc").expect("key");
    assert_eq!(description(&key), "io.bridgekeeper.desktop:abc@us_east_1");
}

#[test]
fn unavailable_reasons_say_what_blocks_the_keyring() {
    assert!(unavailable_reason(KeyError::Unknown(EPERM)).contains("seccomp"));
    assert!(unavailable_reason(KeyError::Unknown(EPERM)).contains("@keyring"));
    assert!(
        unavailable_reason(KeyError::Unknown(EOPNOTSUPP)).contains("CONFIG_PERSISTENT_KEYRINGS")
    );
    assert!(unavailable_reason(KeyError::Unknown(ENOSYS)).contains("not implemented"));
    assert!(
        op_error("storing", KeyError::QuotaExceeded)
            .to_string()
            .contains("quota")
    );
}

#[test]
#[ignore = "needs the Linux kernel keyring (keyctl): scripts/test.sh runs it with --include-ignored"]
fn kernel_keyring_real_save_load_replace_delete() {
    let store = KernelKeyringStore::new();
    store.probe().expect("the kernel keyring is usable here");
    let key = unique_key("crud");
    let _cleanup = Cleanup(key.clone());
    assert_eq!(store.load(&key).expect("load empty"), None);

    let first = sample_session("c1");
    store.save(&key, &first).expect("save");
    assert_eq!(store.load(&key).expect("load"), Some(first.clone()));

    // A refresh rotates the tokens: the entry is replaced in place.
    let mut rotated = first.clone();
    rotated.access_token = AccessToken::new("access-rotated");
    rotated.refresh_token = Some(RefreshToken::new("refresh-rotated"));
    store.save(&key, &rotated).expect("replace");
    assert_eq!(store.load(&key).expect("load"), Some(rotated));

    // The payload sits in the persistent keyring under our description, as the DTO.
    let ring = persistent_keyring().expect("persistent keyring");
    let raw = ring.search(&description(&key)).expect("the key is there");
    let mut buf = vec![0u8; MAX_PAYLOAD];
    let len = raw.read(&mut buf).expect("read");
    let text = String::from_utf8_lossy(&buf[..len.min(buf.len())]).into_owned();
    assert!(
        text.contains("\"refreshToken\":\"refresh-rotated\""),
        "the DTO"
    );

    assert!(store.delete(&key).expect("delete"));
    assert_eq!(store.load(&key).expect("load after delete"), None);
    assert!(!store.delete(&key).expect("delete again"));
    assert!(
        ring.search(&description(&key)).is_err(),
        "an invalidated key is gone from every search"
    );
}

#[test]
#[ignore = "needs the Linux kernel keyring (keyctl): scripts/test.sh runs it with --include-ignored"]
fn kernel_keyring_real_keys_are_independent_and_garbage_reads_as_corrupt() {
    let store = KernelKeyringStore::new();
    let a = unique_key("a");
    let b = unique_key("b");
    let _ca = Cleanup(a.clone());
    let _cb = Cleanup(b.clone());
    let mut pkce = sample_session("pkce");
    pkce.refresh_token = None;
    pkce.client_secret = None;
    store.save(&a, &pkce).expect("save a");
    store.save(&b, &sample_session("b")).expect("save b");
    assert_eq!(store.load(&a).expect("load a"), Some(pkce));
    assert!(store.delete(&b).expect("delete b"));
    assert!(store.load(&a).expect("a survives").is_some());

    // Something else wrote our description: read as corrupt, never quoted.
    let ring = persistent_keyring().expect("persistent keyring");
    ring.add_key(&description(&a), b"tok-GARBAGE not json")
        .expect("overwrite");
    let err = store.load(&a).expect_err("garbage must not load");
    assert!(matches!(err, TokenStoreError::Corrupt { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains("tok-GARBAGE"));
    assert!(store.delete(&a).expect("delete corrupt entry"));
}

//! What the desktop package's real-window test (`src-tauri/tests/window.rs`) and its load bench
//! (`src-tauri/benches/desktop_load.rs`) share: Xvfb on a free display, tauri-driver with throwaway
//! app folders, process guards that always end what they started, the demo emulator's control plane
//! as the app reports it, and a small WebDriver client. A crate of its own so both reach it through
//! a dependency rather than `#[path]` includes.

pub mod harness;
pub mod webdriver;

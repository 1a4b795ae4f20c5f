//! Genesys Cloud emulator (in progress).

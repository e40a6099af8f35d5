//! Chameleon's input rules as data: every length, range, character class and code list that
//! decides whether a value a client sends is accepted.
//!
//! The rules are written here once. `chameleon-core` applies them (its parsers are the only
//! judges of input, and re-export this crate as `chameleon_core::rules`); the HTTP adapter
//! turns them into the OpenAPI document's constraints (`maxLength`, `pattern`, `minimum`,
//! `enum`, ...); the storefront reads the few it needs (a quantity's range, a name's length).
//! Nothing else restates them.
//!
//! It is a crate of its own, inside `core/`, with no dependencies at all, because the WASM
//! storefront needs its data but must not carry core (its time zone database alone would
//! double the download).
//!
//! # Layout
//! - [`text`]: names and descriptions: which characters, how many.
//! - [`numbers`]: prices, quantities, positions, page sizes and other bounded integers.
//! - [`codes`]: the closed lists: currencies, tags, fonts, order statuses.
//! - [`formats`]: the shaped strings: domains, picture URLs, locales, colours, tokens, keys.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod codes;
pub mod formats;
pub mod numbers;
pub mod text;

//! flowsh-grammar: the Junos configuration language of flowsh.
//!
//! Text (brace form, `set` lines) is parsed with one pest grammar ([`parse`]), resolved against
//! the statement schema ([`schema`], [`resolve`]) into a [`tree::ConfigTree`], rendered back
//! ([`render`]), compared ([`diff`]) and commit-checked into the typed [`model::Config`]
//! ([`check`]) that the engine consumes.

pub mod check;
pub mod diff;
pub mod edit;
pub mod error;
pub mod flags;
pub mod json;
pub mod load;
pub mod model;
pub mod parse;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod synth;
pub mod tree;

pub use check::{CheckError, check};
pub use edit::{EditOutcome, execute};
pub use error::{EditError, ErrorKind, LoadError};
pub use load::{Form, load_text};
pub use model::Config;
pub use resolve::PathElem;
pub use tree::ConfigTree;
